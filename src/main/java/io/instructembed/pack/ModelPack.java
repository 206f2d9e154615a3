package io.instructembed.pack;

import java.nio.file.Path;
import java.util.List;

/**
 * A pack as found on this node: its manifest (null when invalid), its state, and where its files
 * are. Files of one pack may come from two folders: the node's config folder first (user-installed
 * weights, or a manifest that overrides the bundled one), then the plugin's bundled folder.
 *
 * @param modelDir        folder holding the ONNX graph and its external data, or null if missing
 * @param tokenizerPath   the tokenizer file, or null if missing
 * @param missingFiles    required files found in none of the folders
 * @param installDir      where a user puts files for this pack (config/instruct-embed/packs/&lt;id&gt;)
 * @param identity        {@link PackIdentity} of an available pack (what its vectors depend on), else null
 * @param filesModified   when this node's copy of an available pack last changed: the latest
 *                        modification time of its manifest, graph, external data and tokenizer, in
 *                        epoch seconds (read once, when the packs are scanned); 0 otherwise
 */
public record ModelPack(
    String id,
    PackManifest manifest,
    PackState state,
    List<String> problems,
    Path manifestPath,
    Path modelDir,
    Path tokenizerPath,
    List<String> missingFiles,
    Path installDir,
    String identity,
    long filesModified
) {
    public Path modelPath() {
        return modelDir == null ? null : modelDir.resolve(manifest.modelFile());
    }

    /**
     * The pack as a node that does not run it sees it: this node's manifest (dimensions, prompts,
     * tasks), with the identity of the files on the nodes that run it for this node.
     */
    public ModelPack servedAs(String servingIdentity) {
        return new ModelPack(id, manifest, state, problems, manifestPath, modelDir, tokenizerPath, missingFiles, installDir, servingIdentity,
            filesModified);
    }
}
