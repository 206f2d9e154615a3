package io.instructembed.pack;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.TreeMap;

/**
 * What identifies a pack's vectors: its id, the manifest fields that change them (dimensions,
 * pooling, normalisation, token limits, padding, EOS, graph signature, prompts and tasks; not its
 * description or licence) and a checksum of its files (graph, external data, tokenizer). Two nodes
 * with one identity embed a text alike; an index field records the identity that wrote its
 * vectors, and refuses writes and queries of another. Files up to {@link #WHOLE_FILE_BYTES} are
 * hashed whole; larger ones (the multi-GB decoder weights) by their size and
 * {@link #SAMPLES} evenly spaced 1 MiB samples, which any re-export or other precision changes,
 * so that a node does not read gigabytes at start. Computed once when the pack is scanned.
 */
public final class PackIdentity {
    static final long WHOLE_FILE_BYTES = 256L << 20;
    static final int SAMPLES = 16;
    private static final int SAMPLE_BYTES = 1 << 20;

    private PackIdentity() {}

    /** 128 bits as 22 URL-safe base64 characters (short enough for a mapping's {@code meta} value). */
    static String of(PackManifest manifest, Path modelDir, Path tokenizer) throws IOException {
        MessageDigest digest = sha256();
        PackManifest.Prompting prompting = manifest.prompting();
        String shape = String.join(
            "\u0000",
            "instruct-embed-pack-identity-1",
            manifest.id(),
            manifest.vectors().toString(),
            manifest.tokens().toString(),
            new TreeMap<>(manifest.graph().inputs()).toString(),
            manifest.graph().output(),
            prompting.prompts().toString(),
            tasks(prompting),
            String.valueOf(prompting.defaultTask())
        );
        digest.update(shape.getBytes(StandardCharsets.UTF_8));
        List<Path> files = new ArrayList<>();
        files.add(modelDir.resolve(manifest.modelFile()));
        for (String data : manifest.externalDataFiles()) {
            files.add(modelDir.resolve(data));
        }
        files.add(tokenizer);
        for (Path file : files) {
            digest.update((byte) 0);
            digest.update(file.getFileName().toString().getBytes(StandardCharsets.UTF_8));
            hashFile(file, digest);
        }
        return Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOf(digest.digest(), 16));
    }

    /** Each task's instruction and symmetry, by name; not its description. */
    private static String tasks(PackManifest.Prompting prompting) {
        StringBuilder tasks = new StringBuilder();
        for (TaskSpec task : new TreeMap<>(prompting.tasks()).values()) {
            tasks.append(task.name()).append('=').append(task.instruction()).append('/').append(task.symmetric()).append('\u0000');
        }
        return tasks.toString();
    }

    private static void hashFile(Path file, MessageDigest digest) throws IOException {
        long size = Files.size(file);
        digest.update(Long.toString(size).getBytes(StandardCharsets.UTF_8));
        if (size <= WHOLE_FILE_BYTES) {
            byte[] buffer = new byte[1 << 16];
            try (InputStream in = Files.newInputStream(file)) {
                for (int read = in.read(buffer); read > 0; read = in.read(buffer)) {
                    digest.update(buffer, 0, read);
                }
            }
            return;
        }
        ByteBuffer sample = ByteBuffer.allocate(SAMPLE_BYTES);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            for (int i = 0; i < SAMPLES; i++) {
                long position = (size - SAMPLE_BYTES) * i / (SAMPLES - 1);
                sample.clear();
                while (sample.hasRemaining() && channel.read(sample, position + sample.position()) > 0) {
                    // fill the sample
                }
                sample.flip();
                digest.update(sample);
            }
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
