package io.instructembed.mapping;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Whether this node's k-NN can run an engine that lives in a native library ({@code faiss},
 * {@code nmslib}). k-NN loads them with {@code System.loadLibrary} when an engine is first used,
 * on a write thread: where the library is missing, that {@code UnsatisfiedLinkError} stops the
 * node. The k-NN zip on Maven Central carries no native libraries; OpenSearch's own distributions
 * put them beside the plugin and on the library path.
 *
 * <p>The answer is found the way the JDK looks for such a library: a file named
 * {@code System.mapLibraryName(name)} in a folder of {@code sun.boot.library.path} or
 * {@code java.library.path} (k-NN's class loader adds no folder of its own). Nothing is loaded, so
 * asking can never fail the node; an engine needs k-NN's common library besides its own (k-NN's
 * plain variant is looked for: the CPU-specific ones ship with it). When the folders cannot be
 * read the answer is "can run": a working engine is never refused.
 */
public final class KnnNativeLibraries {
    static final String COMMON = "opensearchknn_common";
    private static final Map<String, String> ENGINES = Map.of("faiss", "opensearchknn_faiss", "nmslib", "opensearchknn_nmslib");

    private static volatile KnnNativeLibraries ofThisJvm;

    private final List<Path> folders;
    private final Predicate<Path> isFile;

    /** Per native engine, the library it lacks ("" when none), once answered; else null: look each time. */
    private final Map<String, String> answered;

    /** The folders searched, and how a file is found in them (tests name their own folders). */
    public KnnNativeLibraries(List<Path> folders, Predicate<Path> isFile) {
        this(folders, isFile, null);
    }

    private KnnNativeLibraries(List<Path> folders, Predicate<Path> isFile, Map<String, String> answered) {
        this.folders = List.copyOf(folders);
        this.isFile = isFile;
        this.answered = answered;
    }

    /**
     * The answers for this JVM, found once, on the first call: the plugin asks when the node
     * starts, so that the mapping checks, which run on the cluster manager's cluster-state path,
     * never look at a file. (A library installed later would need a restart anyway: k-NN's
     * native engines are loaded with the node.)
     */
    public static KnnNativeLibraries ofThisJvm() {
        KnnNativeLibraries libraries = ofThisJvm;
        if (libraries == null) {
            List<Path> folders = new ArrayList<>();
            for (String property : List.of("sun.boot.library.path", "java.library.path")) {
                folders.addAll(folders(System.getProperty(property)));
            }
            libraries = new KnnNativeLibraries(folders, Files::isRegularFile).answeredNow();
            ofThisJvm = libraries;
        }
        return libraries;
    }

    /** These answers, looked up now for every native engine, and never again. */
    KnnNativeLibraries answeredNow() {
        Map<String, String> missing = new HashMap<>();
        for (String engine : ENGINES.keySet()) {
            String library = missingLibrary(engine);
            missing.put(engine, library == null ? "" : library);
        }
        return new KnnNativeLibraries(folders, path -> {
            throw new IllegalStateException("answered at start: no file is looked at");
        }, Map.copyOf(missing));
    }

    /** The folders of a path list such as {@code java.library.path}; unusable entries are left out. */
    static List<Path> folders(String pathList) {
        List<Path> folders = new ArrayList<>();
        if (pathList == null) {
            return folders;
        }
        for (String entry : pathList.split(java.io.File.pathSeparator)) {
            if (entry.isBlank() == false) {
                try {
                    folders.add(Path.of(entry));
                } catch (InvalidPathException e) {
                    // the JDK skips such an entry too
                }
            }
        }
        return folders;
    }

    /** Whether k-NN keeps this engine in a native library ({@code lucene} is Java). */
    public static boolean isNative(String engine) {
        return engine != null && ENGINES.containsKey(engine.toLowerCase(Locale.ROOT));
    }

    /**
     * The native library that this engine needs and that this node lacks, or null when the engine
     * can run here (a Java engine, an unknown name that k-NN itself refuses, or libraries found).
     */
    public String missingLibrary(String engine) {
        if (isNative(engine) == false) {
            return null;
        }
        if (answered != null) {
            String library = answered.get(engine.toLowerCase(Locale.ROOT));
            return library.isEmpty() ? null : library;
        }
        for (String library : List.of(ENGINES.get(engine.toLowerCase(Locale.ROOT)), COMMON)) {
            if (present(library) == false) {
                return library;
            }
        }
        return null;
    }

    private boolean present(String library) {
        String file = System.mapLibraryName(library);
        try {
            for (Path folder : folders) {
                if (isFile.test(folder.resolve(file))) {
                    return true;
                }
            }
            return false;
        } catch (SecurityException | InvalidPathException e) {
            return true; // cannot tell: never refuse an engine that may work
        }
    }
}
