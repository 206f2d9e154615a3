package io.instructembed.model;

import java.nio.file.Path;

/**
 * Settles, before any DJL class is touched, how DJL's tokenizer library behaves inside a node.
 * DJL otherwise calls the EC2 metadata address (usage tracking) and writes its native library to
 * {@code ~/.djl.ai}, which the node's user may not be able to write.
 */
public final class NativeLibraries {
    private NativeLibraries() {}

    public static synchronized void configureDjl(Path tmpDir) {
        // Never any network: both switches, since DJL versions differ in which one they read.
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("OPT_OUT_TRACKING", "true");
        Path djlDir = tmpDir.resolve("instruct-embed-djl");
        if (System.getProperty("ENGINE_CACHE_DIR") == null) {
            System.setProperty("ENGINE_CACHE_DIR", djlDir.toString());
        }
        if (System.getProperty("DJL_CACHE_DIR") == null) {
            System.setProperty("DJL_CACHE_DIR", djlDir.toString());
        }
    }
}
