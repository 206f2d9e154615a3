package io.instructembed.pack;

import org.opensearch.test.OpenSearchTestCase;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

public class PackManifestParserTests extends OpenSearchTestCase {

    static final String VALID = """
        {
          "id": "tiny",
          "dimensions": 8,
          "max_tokens": 16,
          "pooling": "mean",
          "normalize": false,
          "padding_side": "left",
          "append_eos": true,
          "eos_token": "</s>",
          "model": {
            "file": "model.onnx",
            "external_data": ["model.onnx_data"],
            "inputs": {"input_ids": "ids", "attention_mask": "mask", "position_ids": "pos"},
            "output": "hidden"
          },
          "tokenizer": "tokenizer.json",
          "prompts": {"document": "text: {text}", "query": "task: {instruction}\\nquery: {text}"},
          "tasks": {
            "retrieval": {"instruction": "find passages"},
            "sts": {"instruction": "same meaning", "symmetric": true, "description": "similarity"}
          },
          "default_task": "retrieval",
          "license": "test-only",
          "source": "generated",
          "weights": {"bundled": false, "how_to_get": "generate it"}
        }
        """;

    static InputStream json(String text) {
        return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
    }

    public void testParsesEveryField() throws Exception {
        PackManifest m = PackManifestParser.parse(json(VALID), "[tiny]");
        assertEquals("tiny", m.id());
        assertEquals(8, m.dimensions());
        assertEquals(16, m.maxTokens());
        assertEquals(Pooling.MEAN, m.pooling());
        assertFalse(m.normalize());
        assertEquals(PaddingSide.LEFT, m.paddingSide());
        assertTrue(m.appendEos());
        assertEquals("</s>", m.eosToken());
        assertEquals("model.onnx", m.modelFile());
        assertEquals(java.util.List.of("model.onnx_data"), m.externalDataFiles());
        assertEquals("pos", m.inputs().get(PackManifest.POSITION_IDS));
        assertEquals("hidden", m.output());
        assertEquals("task: {instruction}\nquery: {text}", m.prompts().query());
        assertEquals(java.util.List.of("retrieval", "sts"), java.util.List.copyOf(m.tasks().keySet()));
        assertTrue(m.tasks().get("sts").symmetric());
        assertFalse(m.weightsBundled());
        assertEquals(java.util.List.of("model.onnx", "model.onnx_data", "tokenizer.json"), m.requiredFiles());
    }

    public void testEveryProblemIsReportedWithItsField() {
        String broken = VALID.replace("\"dimensions\": 8", "\"dimensions\": -1")
            .replace("\"pooling\": \"mean\"", "\"pooling\": \"max\"")
            .replace("\"file\": \"model.onnx\"", "\"file\": \"../../etc/passwd\"")
            .replace("\"default_task\": \"retrieval\"", "\"default_task\": \"nope\"")
            .replace("\"query\": \"task: {instruction}\\nquery: {text}\"", "\"query\": \"no placeholder\"");
        InvalidPackException e = expectThrows(InvalidPackException.class, () -> PackManifestParser.parse(json(broken), "[tiny]"));
        String all = String.join("\n", e.problems());
        assertTrue(all, all.contains("[dimensions] must be a positive integer"));
        assertTrue(all, all.contains("[pooling] must be one of [cls, mean, last_token], got [max]"));
        assertTrue(all, all.contains("[model.file] must be a plain file name"));
        assertTrue(all, all.contains("[default_task] [nope] is not one of the pack's tasks"));
        assertTrue(all, all.contains("[prompts.query] must contain {text}"));
        assertEquals(all, 5, e.problems().size());
        assertTrue(e.getMessage().startsWith("invalid model pack [tiny]"));
    }

    public void testRequiredFieldsAreNamed() {
        InvalidPackException e = expectThrows(InvalidPackException.class, () -> PackManifestParser.parse(json("{}"), "[empty]"));
        for (String field : java.util.List.of("id", "dimensions", "max_tokens", "pooling", "padding_side", "model", "tokenizer", "prompts", "tasks", "default_task", "license", "source")) {
            assertTrue(field + " in " + e.problems(), e.problems().stream().anyMatch(p -> p.startsWith("[" + field + "]")));
        }
    }

    public void testUnknownInputRoleAndMissingInputIds() {
        String broken = VALID.replace("\"input_ids\": \"ids\"", "\"pixel_values\": \"px\"");
        InvalidPackException e = expectThrows(InvalidPackException.class, () -> PackManifestParser.parse(json(broken), "[tiny]"));
        assertTrue(e.problems().toString(), e.problems().stream().anyMatch(p -> p.contains("unknown input role [pixel_values]")));
        assertTrue(e.problems().toString(), e.problems().stream().anyMatch(p -> p.contains("[model.inputs.input_ids] is required")));
    }

    public void testEosTokenRequiredWhenAppendingEos() {
        String broken = VALID.replace("\"eos_token\": \"</s>\",", "");
        InvalidPackException e = expectThrows(InvalidPackException.class, () -> PackManifestParser.parse(json(broken), "[tiny]"));
        assertEquals(java.util.List.of("[eos_token] is required"), e.problems());
    }

    public void testNotJson() {
        InvalidPackException e = expectThrows(InvalidPackException.class, () -> PackManifestParser.parse(json("{not json"), "[x]"));
        assertTrue(e.getMessage(), e.getMessage().contains("pack.json is not valid JSON"));
    }

    public void testShippedManifestsAreValid() throws Exception {
        Path root = Path.of("model-packs");
        int count = 0;
        try (var dirs = Files.list(root)) {
            for (Path dir : dirs.toList()) {
                try (InputStream in = Files.newInputStream(dir.resolve("pack.json"))) {
                    PackManifest m = PackManifestParser.parse(in, dir.toString());
                    assertEquals(dir.getFileName().toString(), m.id());
                    count++;
                }
            }
        }
        assertEquals(5, count);
    }
}
