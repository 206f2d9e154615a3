package io.instructembed.pack;

import java.nio.file.Path;

/**
 * How pack files are named to callers: relative to the node's config directory
 * ({@code config/instruct-embed/packs/...}) or to its plugins directory
 * ({@code plugins/instruct-embed/model-packs/...}), never as absolute paths, which would tell any
 * caller of {@code GET models} or {@code _embed} how the node's disks are laid out.
 */
public record PackPaths(Path configRoot, Path bundledRoot) {
    public static final String CONFIG_LABEL = "config/instruct-embed/packs";
    public static final String BUNDLED_LABEL = "plugins/instruct-embed/model-packs";

    public PackPaths {
        configRoot = configRoot.toAbsolutePath().normalize();
        bundledRoot = bundledRoot.toAbsolutePath().normalize();
    }

    /** A pack path as shown to callers: under one of the labels, or its file name alone. */
    public String display(Path path) {
        if (path == null) {
            return null;
        }
        Path absolute = path.toAbsolutePath().normalize();
        if (absolute.startsWith(configRoot)) {
            return join(CONFIG_LABEL, configRoot.relativize(absolute));
        }
        if (absolute.startsWith(bundledRoot)) {
            return join(BUNDLED_LABEL, bundledRoot.relativize(absolute));
        }
        Path name = absolute.getFileName();
        return name == null ? "" : name.toString();
    }

    /** A message (a pack problem, a load error from ONNX Runtime or the tokenizer) with the roots replaced by their labels. */
    public String redact(String message) {
        if (message == null) {
            return null;
        }
        return message.replace(configRoot.toString(), CONFIG_LABEL).replace(bundledRoot.toString(), BUNDLED_LABEL);
    }

    private static String join(String label, Path relative) {
        String rest = relative.toString().replace('\\', '/');
        return rest.isEmpty() ? label : label + "/" + rest;
    }
}
