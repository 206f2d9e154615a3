package io.instructembed.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * The log file of the test node (scripts/node.sh names it in the node's cluster.properties as
 * {@code tests.node.log}), for tests that check what a request logged.
 */
public final class NodeLog {
    private final Path file;
    private final long start;

    private NodeLog(Path file, long start) {
        this.file = file;
        this.start = start;
    }

    /** From the log's current end: {@link #lines()} gives what the node logs from now on. */
    public static NodeLog fromNow() throws IOException {
        String name = System.getProperty("tests.node.log");
        if (name == null) {
            throw new AssertionError("no tests.node.log: the node was not started by scripts/node.sh start-test");
        }
        Path file = Path.of(name);
        return new NodeLog(file, Files.size(file));
    }

    /** The lines logged since {@link #fromNow()} (a rolled-over log gives its new file whole). */
    public List<String> lines() throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        int from = bytes.length >= start ? (int) start : 0;
        String text = new String(bytes, from, bytes.length - from, StandardCharsets.UTF_8);
        return Arrays.stream(text.split("\n")).filter(line -> line.isEmpty() == false).toList();
    }
}
