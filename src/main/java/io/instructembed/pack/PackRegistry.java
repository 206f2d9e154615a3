package io.instructembed.pack;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The model packs of this node, discovered once at start from two roots: the node's
 * {@code config/instruct-embed/packs/} (takes precedence) and the plugin's bundled
 * {@code model-packs/}. Nothing here throws for a bad pack: it is recorded as {@link PackState#INVALID}
 * with its problems, so a broken pack never stops the node.
 */
public final class PackRegistry {
    private static final Logger logger = LogManager.getLogger(PackRegistry.class);
    public static final String MANIFEST = "pack.json";

    private final TreeMap<String, ModelPack> packs;
    private final PackPaths paths;

    private PackRegistry(TreeMap<String, ModelPack> packs, PackPaths paths) {
        this.packs = packs;
        this.paths = paths;
    }

    /**
     * @param configRoot  user packs and user-installed weights; may not exist
     * @param bundledRoot the plugin's own packs; may not exist (then only user packs are found)
     */
    public static PackRegistry scan(Path configRoot, Path bundledRoot) {
        PackPaths paths = new PackPaths(configRoot, bundledRoot);
        TreeSet<String> ids = new TreeSet<>();
        for (Path root : List.of(configRoot, bundledRoot)) {
            ids.addAll(packFolders(root));
        }
        TreeMap<String, ModelPack> packs = new TreeMap<>();
        for (String id : ids) {
            ModelPack pack = withoutAbsolutePaths(load(id, configRoot.resolve(id), bundledRoot.resolve(id)), paths);
            packs.put(id, pack);
            if (pack.state() == PackState.INVALID) {
                logger.warn("model pack [{}] is invalid and will not load: {}", id, String.join("; ", pack.problems()));
            } else if (pack.state() == PackState.WEIGHTS_MISSING) {
                logger.info("model pack [{}] has no weights installed: missing {} (put them in {})", id, pack.missingFiles(), pack.installDir());
            } else {
                logger.info(
                    "model pack [{}] available ({} dims, {} pooling, identity {})",
                    id,
                    pack.manifest().dimensions(),
                    pack.manifest().pooling().jsonName(),
                    pack.identity()
                );
            }
        }
        return new PackRegistry(packs, paths);
    }

    /** Problems are shown to callers of GET models: they name files relative to the node's directories. */
    private static ModelPack withoutAbsolutePaths(ModelPack pack, PackPaths paths) {
        List<String> problems = pack.problems().stream().map(paths::redact).toList();
        return new ModelPack(pack.id(), pack.manifest(), pack.state(), problems, pack.manifestPath(), pack.modelDir(), pack.tokenizerPath(),
            pack.missingFiles(), pack.installDir(), pack.identity(), pack.filesModified());
    }

    /** How pack paths are shown to callers. */
    public PackPaths paths() {
        return paths;
    }

    private static List<String> packFolders(Path root) {
        List<String> ids = new ArrayList<>();
        if (Files.isDirectory(root) == false) {
            return ids;
        }
        try (DirectoryStream<Path> children = Files.newDirectoryStream(root)) {
            for (Path child : children) {
                String name = child.getFileName().toString();
                if (Files.isDirectory(child) == false) {
                    continue;
                }
                if (PackManifestParser.PACK_ID.matcher(name).matches()) {
                    ids.add(name);
                } else {
                    logger.warn("ignoring model pack folder [{}]: pack ids must match [a-z0-9._-]+", child);
                }
            }
        } catch (IOException e) {
            logger.warn("cannot list model packs in [" + root + "]", e);
        }
        return ids;
    }

    static ModelPack load(String id, Path configDir, Path bundledDir) {
        List<Path> dirs = List.of(configDir, bundledDir);
        Path manifestPath = dirs.stream().map(d -> d.resolve(MANIFEST)).filter(Files::isRegularFile).findFirst().orElse(null);
        if (manifestPath == null) {
            return invalid(id, null, configDir, "no " + MANIFEST + " in " + configDir + " or " + bundledDir);
        }
        PackManifest manifest;
        try (InputStream in = Files.newInputStream(manifestPath)) {
            manifest = PackManifestParser.parse(in, "[" + id + "] (" + manifestPath + ")");
        } catch (InvalidPackException e) {
            return new ModelPack(id, null, PackState.INVALID, e.problems(), manifestPath, null, null, List.of(), configDir, null, 0);
        } catch (IOException e) {
            return invalid(id, manifestPath, configDir, "cannot read " + manifestPath + ": " + e.getMessage());
        }
        if (manifest.id().equals(id) == false) {
            return invalid(id, manifestPath, configDir, "[id] is [" + manifest.id() + "] but the folder is named [" + id + "]");
        }

        List<String> missing = new ArrayList<>();
        // ONNX Runtime finds external data next to the graph, so the graph and its data share a folder.
        Path modelDir = dirs.stream().filter(d -> Files.isRegularFile(d.resolve(manifest.modelFile()))).findFirst().orElse(null);
        if (modelDir == null) {
            missing.add(manifest.modelFile());
            missing.addAll(manifest.externalDataFiles());
        } else {
            for (String data : manifest.externalDataFiles()) {
                if (Files.isRegularFile(modelDir.resolve(data)) == false) {
                    missing.add(data);
                }
            }
        }
        Path tokenizer = dirs.stream()
            .map(d -> d.resolve(manifest.tokenizerFile()))
            .filter(Files::isRegularFile)
            .findFirst()
            .orElse(null);
        if (tokenizer == null) {
            missing.add(manifest.tokenizerFile());
        }
        PackState state = missing.isEmpty() ? PackState.AVAILABLE : PackState.WEIGHTS_MISSING;
        String identity = null;
        long modified = 0;
        if (state == PackState.AVAILABLE) {
            try {
                identity = PackIdentity.of(manifest, modelDir, tokenizer);
                List<Path> files = new ArrayList<>(List.of(manifestPath, modelDir.resolve(manifest.modelFile()), tokenizer));
                manifest.externalDataFiles().forEach(data -> files.add(modelDir.resolve(data)));
                modified = lastModified(files);
            } catch (IOException e) {
                return invalid(id, manifestPath, configDir, "cannot read the files of the pack to checksum them: " + e.getMessage());
            }
        }
        return new ModelPack(id, manifest, state, List.of(), manifestPath, modelDir, tokenizer, List.copyOf(missing), configDir, identity, modified);
    }

    /** The latest modification time of the files, in epoch seconds: when this node's copy of the pack last changed. */
    private static long lastModified(List<Path> files) throws IOException {
        long latest = 0;
        for (Path file : files) {
            latest = Math.max(latest, Files.getLastModifiedTime(file).toMillis() / 1000);
        }
        return latest;
    }

    private static ModelPack invalid(String id, Path manifestPath, Path installDir, String problem) {
        return new ModelPack(id, null, PackState.INVALID, List.of(problem), manifestPath, null, null, List.of(), installDir, null, 0);
    }

    public Optional<ModelPack> get(String id) {
        return Optional.ofNullable(packs.get(id));
    }

    public Collection<ModelPack> all() {
        return packs.values();
    }

    public java.util.Set<String> ids() {
        return packs.keySet();
    }
}
