package io.instructembed.pack;

import org.opensearch.test.OpenSearchTestCase;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The exact text every shipped pack (bundled, or a pack archive of pack-archives/) renders for
 * every task, on both sides, pinned to the model cards: a changed instruction, template or
 * symmetric flag fails here.
 */
public class ShippedPackPromptsTests extends OpenSearchTestCase {

    private static PackManifest manifest(String id) throws Exception {
        Path bundled = Path.of("model-packs", id, "pack.json");
        try (InputStream in = Files.newInputStream(Files.exists(bundled) ? bundled : Path.of("pack-archives", id, "pack.json"))) {
            return PackManifestParser.parse(in, id);
        }
    }

    /** task -> [rendered query, rendered document] for the text "X". */
    private static void assertPrompts(String pack, Map<String, List<String>> expected) throws Exception {
        PackManifest m = manifest(pack);
        assertEquals(pack + " tasks", expected.keySet(), m.tasks().keySet());
        for (Map.Entry<String, List<String>> task : expected.entrySet()) {
            assertEquals(pack + " " + task.getKey() + " query", task.getValue().get(0), m.render(List.of("X"), InputType.QUERY, task.getKey(), null).get(0));
            assertEquals(pack + " " + task.getKey() + " document", task.getValue().get(1), m.render(List.of("X"), InputType.DOCUMENT, task.getKey(), null).get(0));
        }
    }

    public void testBge() throws Exception {
        for (String pack : List.of("bge-small-en-v1.5", "bge-small-en-v1.5-int8")) {
            Map<String, List<String>> expected = new LinkedHashMap<>();
            expected.put("retrieval", List.of("Represent this sentence for searching relevant passages: X", "X"));
            expected.put("similarity", List.of("X", "X"));
            expected.put("clustering", List.of("X", "X"));
            expected.put("classification", List.of("X", "X"));
            assertPrompts(pack, expected);
            assertEquals("X", manifest(pack).render(List.of("X"), InputType.DOCUMENT, null, null).get(0));
        }
    }

    public void testSarashina() throws Exception {
        Map<String, List<String>> expected = new LinkedHashMap<>();
        String q = "task: %s\nquery: X";
        expected.put("retrieval", List.of(String.format(java.util.Locale.ROOT, q, "クエリを与えるので、もっともクエリに意味が似ている一節を探してください。"), "text: X"));
        expected.put("web_search", List.of(String.format(java.util.Locale.ROOT, q, "クエリを与えるので、与えられたWeb検索クエリに答える関連文章を検索してください。"), "text: X"));
        expected.put("question_answering", List.of(String.format(java.util.Locale.ROOT, q, "質問を与えるので、その質問に答えるのに役立つWikipediaの文章を検索してください。"), "text: X"));
        expected.put("faq", List.of(String.format(java.util.Locale.ROOT, q, "質問を与えるので、その質問に答えるのに役立つ関連文書を検索してください。"), "text: X"));
        String sts = String.format(java.util.Locale.ROOT, q, "クエリを与えるので，もっともクエリに意味が似ている一節を探してください。");
        expected.put("sts", List.of(sts, sts));
        String classification = String.format(java.util.Locale.ROOT, q, "与えられたドキュメントを適切なカテゴリに分類してください。");
        expected.put("classification", List.of(classification, classification));
        String clustering = String.format(java.util.Locale.ROOT, q, "与えられたドキュメントのトピックまたはテーマを特定してください。");
        expected.put("clustering", List.of(clustering, clustering));
        assertPrompts("sarashina-embedding-v2-1b", expected);
        assertEquals("text: X", manifest("sarashina-embedding-v2-1b").render(List.of("X"), InputType.DOCUMENT, null, null).get(0));
    }

    public void testSfr() throws Exception {
        for (String pack : List.of("sfr-embedding-2-r", "sfr-embedding-mistral")) {
            Map<String, List<String>> expected = new LinkedHashMap<>();
            String q = "Instruct: %s\nQuery: X";
            expected.put("retrieval", List.of(String.format(java.util.Locale.ROOT, q, "Given a web search query, retrieve relevant passages that answer the query"), "X"));
            expected.put("question_answering", List.of(String.format(java.util.Locale.ROOT, q, "Given a question, retrieve Wikipedia passages that answer the question"), "X"));
            expected.put("multi_hop_qa", List.of(String.format(java.util.Locale.ROOT, q, "Given a multi-hop question, retrieve documents that can help answer the question"), "X"));
            expected.put("fact_checking", List.of(String.format(java.util.Locale.ROOT, q, "Given a claim, retrieve documents that support or refute the claim"), "X"));
            expected.put("scientific_claims", List.of(String.format(java.util.Locale.ROOT, q, "Given a scientific claim, retrieve documents that support or refute the claim"), "X"));
            expected.put("financial_qa", List.of(String.format(java.util.Locale.ROOT, q, "Given a financial question, retrieve user replies that best answer the question"), "X"));
            expected.put("argument_retrieval", List.of(String.format(java.util.Locale.ROOT, q, "Given a claim, find documents that refute the claim"), "X"));
            expected.put("duplicate_questions", List.of(String.format(java.util.Locale.ROOT, q, "Given a question, retrieve questions that are semantically equivalent to the given question"), "X"));
            String sts = String.format(java.util.Locale.ROOT, q, "Retrieve semantically similar text.");
            expected.put("sts", List.of(sts, sts));
            assertPrompts(pack, expected);
        }
    }

    public void testE5() throws Exception {
        for (String pack : List.of("e5-small-v2", "e5-small-v2-int8")) {
            Map<String, List<String>> expected = new LinkedHashMap<>();
            expected.put("retrieval", List.of("query: X", "passage: X"));
            expected.put("similarity", List.of("query: X", "query: X"));
            expected.put("clustering", List.of("query: X", "query: X"));
            expected.put("classification", List.of("query: X", "query: X"));
            expected.put("bare", List.of("X", "X"));
            assertPrompts(pack, expected);
            assertShape(pack, 384, Pooling.MEAN, 512, "MIT");
            assertEquals("passage: X", manifest(pack).render(List.of("X"), InputType.DOCUMENT, null, null).get(0));
        }
    }

    public void testBgeZh() throws Exception {
        Map<String, List<String>> expected = new LinkedHashMap<>();
        expected.put("retrieval", List.of("为这个句子生成表示以用于检索相关文章：X", "X"));
        expected.put("similarity", List.of("X", "X"));
        expected.put("clustering", List.of("X", "X"));
        expected.put("classification", List.of("X", "X"));
        assertPrompts("bge-small-zh-v1.5", expected);
        assertShape("bge-small-zh-v1.5", 512, Pooling.CLS, 512, "MIT");
    }

    public void testAllMiniLm() throws Exception {
        Map<String, List<String>> expected = new LinkedHashMap<>();
        for (String task : List.of("retrieval", "similarity", "clustering", "classification")) {
            expected.put(task, List.of("X", "X"));
        }
        assertPrompts("all-minilm-l6-v2", expected);
        assertShape("all-minilm-l6-v2", 384, Pooling.MEAN, 256, "Apache-2.0");
    }

    private static void assertShape(String pack, int dimensions, Pooling pooling, int maxTokens, String license) throws Exception {
        PackManifest m = manifest(pack);
        assertEquals(pack, m.id());
        assertEquals(dimensions, m.dimensions());
        assertEquals(pooling, m.pooling());
        assertEquals(maxTokens, m.maxTokens());
        assertTrue(m.normalize());
        assertEquals(license, m.license());
        assertEquals("retrieval", m.defaultTask());
    }
}
