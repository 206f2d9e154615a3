package io.instructembed.support;

import org.apache.hc.core5.http.HttpHost;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A cluster of real nodes that a test starts, stops and restarts one by one, each with settings
 * of its own (roles, packs), through scripts/node.sh: prepare-cluster, start-member, stop-member
 * and stop (see the script for what each does). Maven names the files it needs as system
 * properties (pom.xml, the serving-cluster and mixed-version executions); members start from the
 * template node, or from another one that {@link #addTemplate} installed. The output of every command goes to a file
 * under the cluster folder; a command that fails or runs past its time throws with the command
 * and the end of that output.
 */
public final class TestCluster {
    /** An installation: unzipping OpenSearch and installing two plugins. */
    private static final Duration PREPARE_TIMEOUT = Duration.ofMinutes(3);
    /** The script gives a node 180 s to answer and 90 s more to join; this only bounds a hung script. */
    private static final Duration START_TIMEOUT = Duration.ofMinutes(5);
    /** The script gives each node 60 s to stop before it kills it. */
    private static final Duration STOP_TIMEOUT = Duration.ofMinutes(2);
    private static final int TAIL_LINES = 40;

    private final Path script;
    private final Path dir;
    private final Path dist;
    private final Path knn;
    private final Path plugin;
    private final Path packs;
    /** The members up now, in the order they started (the first is the cluster's manager). */
    private final Map<String, HttpHost> running = new LinkedHashMap<>();
    private int commands;

    public TestCluster(Path basedir, Path dir, Path dist, Path knn, Path plugin, Path packs) {
        this.script = basedir.resolve("scripts/node.sh");
        this.dir = dir;
        this.dist = dist;
        this.knn = knn;
        this.plugin = plugin;
        this.packs = packs;
    }

    /** The cluster that the serving-cluster execution in pom.xml describes. */
    public static TestCluster fromSystemProperties() {
        return new TestCluster(
            path("tests.serving.basedir"),
            path("tests.serving.dir"),
            path("tests.serving.dist"),
            path("tests.serving.knn"),
            path("tests.serving.plugin"),
            path("tests.serving.packs")
        );
    }

    private static Path path(String property) {
        String value = System.getProperty(property);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("no system property [" + property + "]: run this test through its execution of pom.xml (serving-cluster, mixed-version)");
        }
        return Path.of(value);
    }

    /** The cluster's folder: the template node, one folder per member, and the commands' output. */
    public Path dir() {
        return dir;
    }

    /** Installs the node every member starts from, removing an earlier cluster in {@link #dir()}. */
    public void prepare() throws IOException, InterruptedException {
        running.clear();
        commands = 0;
        // the script removes the old folder first, so its output lands next to it and moves in after
        Path output = dir.resolveSibling(dir.getFileName() + "-prepare.log");
        run(PREPARE_TIMEOUT, Map.of(), output, "prepare-cluster", dir.toString(), dist.toString(), knn.toString(), plugin.toString(), packs.toString());
        Path moved = outputFolder().resolve(String.format("%03d-prepare-cluster.log", ++commands));
        Files.createDirectories(moved.getParent());
        Files.move(output, moved, StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * Installs a second node that members can start from, {@code template} (with the same user
     * packs as the first): another OpenSearch version with its own k-NN and plugin zips, for a
     * cluster of mixed versions. Call it after {@link #prepare}.
     */
    public void addTemplate(String template, Path templateDist, Path templateKnn, Path templatePlugin) throws IOException, InterruptedException {
        run(
            PREPARE_TIMEOUT,
            Map.of(),
            nextOutput("add-template-" + template),
            "add-template",
            dir.toString(),
            template,
            templateDist.toString(),
            templateKnn.toString(),
            templatePlugin.toString(),
            packs.toString()
        );
    }

    /**
     * Starts member {@code name} with {@code nodeSettings} (opensearch.yml lines, such as
     * {@code node.roles: [data, ingest]}) and returns its HTTP address once it has joined; a
     * member started before comes back as the same node, with its data.
     */
    public HttpHost start(String name, String nodeSettings) throws IOException, InterruptedException {
        return startMember(name, nodeSettings, null, null);
    }

    /** As {@link #start(String, String)}, with the packs in {@code memberPacks} (a folder of pack folders) over the template's. */
    public HttpHost start(String name, String nodeSettings, Path memberPacks) throws IOException, InterruptedException {
        return startMember(name, nodeSettings, memberPacks, null);
    }

    /**
     * As {@link #start(String, String)}, a new member installed from {@code template} (see
     * {@link #addTemplate}); a restart must name the template the member first started from.
     */
    public HttpHost start(String name, String nodeSettings, String template) throws IOException, InterruptedException {
        return startMember(name, nodeSettings, null, template);
    }

    private HttpHost startMember(String name, String nodeSettings, Path memberPacks, String template) throws IOException, InterruptedException {
        if (running.containsKey(name)) {
            throw new IllegalStateException("member [" + name + "] is running already");
        }
        Map<String, String> env = new LinkedHashMap<>();
        env.put("NODE_SETTINGS", nodeSettings);
        if (memberPacks != null) {
            env.put("MEMBER_PACKS", memberPacks.toAbsolutePath().toString());
        }
        if (template != null) {
            env.put("MEMBER_TEMPLATE", template);
        }
        run(START_TIMEOUT, env, nextOutput("start-member-" + name), "start-member", dir.toString(), name);
        int port = Integer.parseInt(Files.readString(dir.resolve(name).resolve("http.port")).trim());
        HttpHost host = new HttpHost("http", "127.0.0.1", port);
        running.put(name, host);
        return host;
    }

    /** Stops member {@code name}; its data stays for {@link #start}. */
    public void stop(String name) throws IOException, InterruptedException {
        host(name);
        run(STOP_TIMEOUT, Map.of(), nextOutput("stop-member-" + name), "stop-member", dir.toString(), name);
        running.remove(name);
    }

    /**
     * Stops every member that is up. Idempotent, and safe after a failed {@link #prepare} or
     * {@link #start} (it stops whatever node of the folder still runs): for {@code @AfterClass}.
     */
    public void stopAll() throws IOException, InterruptedException {
        running.clear();
        if (Files.isDirectory(dir) == false) {
            return;
        }
        run(STOP_TIMEOUT, Map.of(), nextOutput("stop"), "stop", dir.toString());
    }

    /** The HTTP address of running member {@code name}. */
    public HttpHost host(String name) {
        HttpHost host = running.get(name);
        if (host == null) {
            throw new IllegalStateException("member [" + name + "] is not running (running: " + running.keySet() + ")");
        }
        return host;
    }

    /** The running members' HTTP addresses, in the order they started. */
    public List<HttpHost> hosts() {
        return List.copyOf(running.values());
    }

    /** The running members as {@code tests.rest.cluster} lists them: {@code host:port,host:port}. */
    public String restCluster() {
        if (running.isEmpty()) {
            throw new IllegalStateException("no member is running");
        }
        return running.values().stream().map(HttpHost::toHostString).collect(Collectors.joining(","));
    }

    /** Member {@code name}'s log file (it exists once the member has started). */
    public Path log(String name) throws IOException {
        String cluster = Files.readString(dir.resolve("cluster.name")).trim();
        return dir.resolve(name).resolve("opensearch/logs").resolve(cluster + ".log");
    }

    private Path outputFolder() {
        return dir.resolve("harness");
    }

    private Path nextOutput(String what) throws IOException {
        Files.createDirectories(outputFolder());
        return outputFolder().resolve(String.format("%03d-%s.log", ++commands, what));
    }

    private void run(Duration timeout, Map<String, String> env, Path output, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("bash", script.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(output.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        // the JDK this test runs on starts the nodes too, as the exec executions of pom.xml do
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        builder.environment().put("OPT_OUT_TRACKING", "true");
        builder.environment().putAll(env);
        Process process = builder.start();
        if (process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) == false) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
            throw failure(command, env, output, "ran past " + timeout.toSeconds() + " s");
        }
        if (process.exitValue() != 0) {
            throw failure(command, env, output, "exited with " + process.exitValue());
        }
    }

    private static IllegalStateException failure(List<String> command, Map<String, String> env, Path output, String what) throws IOException {
        List<String> lines = Files.exists(output) ? Files.readAllLines(output, StandardCharsets.UTF_8) : List.of();
        List<String> tail = lines.subList(Math.max(0, lines.size() - TAIL_LINES), lines.size());
        String environment = env.entrySet().stream().map(e -> e.getKey() + "='" + e.getValue() + "' ").collect(Collectors.joining());
        return new IllegalStateException(
            environment + String.join(" ", command) + " " + what + "; the end of its output (" + output + "):\n" + String.join("\n", tail)
        );
    }
}
