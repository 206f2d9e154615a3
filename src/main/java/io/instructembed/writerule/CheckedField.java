package io.instructembed.writerule;

/**
 * One field whose writes the shard checks: where its text is, where its vectors and their
 * fingerprint are, and which object a script must remove along with the text.
 *
 * @param path            the source text's dotted path
 * @param vectorsPath     the vectors: one vector, or an array of {@code {text, vector}} objects or chunks
 * @param fingerprintPath the fingerprint stored beside them ({@code <model part>.<text part>})
 * @param vectorsObject   what holds the vectors and the fingerprint, named in messages
 * @param strict          whether a document must carry a fingerprint whenever it has text or vectors
 *                        (instruct_text fields, always fingerprinted); otherwise a document without
 *                        one (written before the fingerprint was, or before the pipeline embedded
 *                        the field) is not checked
 */
public record CheckedField(String path, String vectorsPath, String fingerprintPath, String vectorsObject, boolean strict) {}
