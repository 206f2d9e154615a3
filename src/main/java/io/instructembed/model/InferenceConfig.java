package io.instructembed.model;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.instructembed.settings.InstructEmbedSettings;
import org.opensearch.common.settings.Settings;

/** How models run on this node: session options and batch limits, read from node settings. */
public record InferenceConfig(int intraOpThreads, String optimizationLevel, int batchMaxTokens, int batchMaxSize) {

    public static InferenceConfig from(Settings settings) {
        return new InferenceConfig(
            InstructEmbedSettings.INTRA_OP_THREADS.get(settings),
            InstructEmbedSettings.OPTIMIZATION_LEVEL.get(settings),
            InstructEmbedSettings.BATCH_MAX_TOKENS.get(settings),
            InstructEmbedSettings.BATCH_MAX_SIZE.get(settings)
        );
    }

    public OrtSession.SessionOptions sessionOptions() throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        try {
            options.setIntraOpNumThreads(intraOpThreads);
            // Parallelism across calls comes from the inference pool, not from inter-op threads.
            options.setInterOpNumThreads(1);
            options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            options.setOptimizationLevel(switch (optimizationLevel) {
                case "none" -> OrtSession.SessionOptions.OptLevel.NO_OPT;
                case "basic" -> OrtSession.SessionOptions.OptLevel.BASIC_OPT;
                case "extended" -> OrtSession.SessionOptions.OptLevel.EXTENDED_OPT;
                default -> OrtSession.SessionOptions.OptLevel.ALL_OPT;
            });
            return options;
        } catch (OrtException | RuntimeException e) {
            options.close();
            throw e;
        }
    }

    public BatchPlanner planner() {
        return new BatchPlanner(batchMaxTokens, batchMaxSize);
    }
}
