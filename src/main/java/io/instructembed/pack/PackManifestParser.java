package io.instructembed.pack;

import org.opensearch.common.xcontent.json.JsonXContent;
import org.opensearch.core.xcontent.DeprecationHandler;
import org.opensearch.core.xcontent.NamedXContentRegistry;
import org.opensearch.core.xcontent.XContentParser;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Reads a {@code pack.json} and checks it field by field. Every problem is collected (not just the
 * first), each naming its field, so that a broken pack can be fixed in one go.
 */
public final class PackManifestParser {

    /** Pack ids double as folder names and URL parts. */
    public static final Pattern PACK_ID = Pattern.compile("[a-z0-9._-]+");
    /** File names in a manifest are plain names inside the pack folder: no paths, no URLs. */
    private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9._-]+");

    private final List<String> problems = new ArrayList<>();
    private final Map<String, Object> root;

    private PackManifestParser(Map<String, Object> root) {
        this.root = root;
    }

    public static PackManifest parse(InputStream json, String where) throws InvalidPackException {
        Map<String, Object> map;
        try (
            XContentParser parser = JsonXContent.jsonXContent.createParser(
                NamedXContentRegistry.EMPTY,
                DeprecationHandler.THROW_UNSUPPORTED_OPERATION,
                json
            )
        ) {
            map = parser.mapOrdered();
        } catch (IOException | RuntimeException e) {
            throw new InvalidPackException(where, List.of("pack.json is not valid JSON: " + e.getMessage()));
        }
        return new PackManifestParser(map).read(where);
    }

    public static PackManifest parse(Map<String, Object> map, String where) throws InvalidPackException {
        return new PackManifestParser(map).read(where);
    }

    private PackManifest read(String where) throws InvalidPackException {
        String id = string(root, "id", true);
        if (id != null && PACK_ID.matcher(id).matches() == false) {
            problems.add("[id] must match [a-z0-9._-]+, got [" + id + "]");
        }
        int dimensions = positiveInt(root, "dimensions");
        int maxTokens = positiveInt(root, "max_tokens");
        Pooling pooling = parseEnum(root, "pooling", Pooling::fromJson);
        boolean normalize = bool(root, "normalize", true);
        PaddingSide padding = parseEnum(root, "padding_side", PaddingSide::fromJson);
        boolean appendEos = bool(root, "append_eos", false);
        String eosToken = string(root, "eos_token", appendEos);

        Map<String, Object> model = object(root, "model", true);
        String modelFile = model == null ? null : fileName(model, "model.file", "file");
        String fp16File = null;
        if (model != null && model.get("fp16_file") != null) {
            fp16File = fileName(model, "model.fp16_file", "fp16_file");
        }
        List<String> externalData = new ArrayList<>();
        Map<String, String> inputs = new LinkedHashMap<>();
        String output = null;
        if (model != null) {
            for (Object file : list(model, "model.external_data", "external_data")) {
                if (file instanceof String name && FILE_NAME.matcher(name).matches()) {
                    externalData.add(name);
                } else {
                    problems.add("[model.external_data] entries must be plain file names, got [" + file + "]");
                }
            }
            Map<String, Object> inputMap = object(model, "inputs", true, "model.inputs");
            if (inputMap != null) {
                inputMap.forEach((role, graphName) -> {
                    if (PackManifest.INPUT_ROLES.contains(role) == false) {
                        problems.add("[model.inputs] unknown input role [" + role + "]; roles are " + PackManifest.INPUT_ROLES);
                    } else if (graphName instanceof String name && name.isEmpty() == false) {
                        inputs.put(role, name);
                    } else {
                        problems.add("[model.inputs." + role + "] must be the graph's input name");
                    }
                });
                if (inputs.containsKey(PackManifest.INPUT_IDS) == false) {
                    problems.add("[model.inputs.input_ids] is required");
                }
            }
            output = string(model, "output", true, "model.output");
        }
        String tokenizerFile = fileName(root, "tokenizer", "tokenizer");

        Map<String, Object> prompts = object(root, "prompts", true);
        PromptTemplates templates = null;
        if (prompts != null) {
            String document = string(prompts, "document", true, "prompts.document");
            String query = string(prompts, "query", true, "prompts.query");
            if (document != null && document.contains(PromptTemplates.TEXT) == false) {
                problems.add("[prompts.document] must contain {text}");
            }
            if (document != null && document.contains(PromptTemplates.INSTRUCTION)) {
                problems.add("[prompts.document] must not contain {instruction}: symmetric tasks use the query template");
            }
            if (query != null && query.indexOf(PromptTemplates.TEXT) < 0) {
                problems.add("[prompts.query] must contain {text}");
            }
            if (query != null && query.indexOf(PromptTemplates.TEXT) != query.lastIndexOf(PromptTemplates.TEXT)) {
                problems.add("[prompts.query] must contain {text} once");
            }
            templates = new PromptTemplates(document, query);
        }

        Map<String, TaskSpec> tasks = new LinkedHashMap<>();
        Map<String, Object> taskMap = object(root, "tasks", true);
        if (taskMap != null) {
            if (taskMap.isEmpty()) {
                problems.add("[tasks] must name at least one task");
            }
            taskMap.forEach((name, value) -> {
                String field = "tasks." + name;
                if (PACK_ID.matcher(name).matches() == false) {
                    problems.add("[" + field + "] task names must match [a-z0-9._-]+");
                }
                if (value instanceof Map<?, ?> raw) {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> task = (Map<String, Object>) raw;
                    String instruction = string(task, "instruction", true, field + ".instruction");
                    boolean symmetric = bool(task, "symmetric", false, field + ".symmetric");
                    String description = string(task, "description", false, field + ".description");
                    tasks.put(name, new TaskSpec(name, instruction, symmetric, description));
                } else {
                    problems.add("[" + field + "] must be an object with an [instruction]");
                }
            });
        }
        String defaultTask = string(root, "default_task", true);
        if (defaultTask != null && taskMap != null && tasks.containsKey(defaultTask) == false) {
            problems.add("[default_task] [" + defaultTask + "] is not one of the pack's tasks " + tasks.keySet());
        }

        String license = string(root, "license", true);
        String source = string(root, "source", true);
        String description = string(root, "description", false);
        Map<String, Object> weights = object(root, "weights", false);
        boolean bundled = weights != null && bool(weights, "bundled", false, "weights.bundled");
        String weightsHelp = weights == null ? null : string(weights, "how_to_get", false, "weights.how_to_get");

        if (problems.isEmpty() == false) {
            throw new InvalidPackException(where, problems);
        }
        return new PackManifest(
            id,
            description,
            new PackManifest.Vectors(dimensions, pooling, normalize),
            new PackManifest.Tokens(maxTokens, padding, appendEos, eosToken, tokenizerFile),
            new PackManifest.Graph(modelFile, List.copyOf(externalData), fp16File, Map.copyOf(inputs), output),
            new PackManifest.Prompting(templates, java.util.Collections.unmodifiableMap(tasks), defaultTask),
            new PackManifest.Provenance(license, source, bundled, weightsHelp)
        );
    }

    private String string(Map<String, Object> map, String key, boolean required) {
        return string(map, key, required, key);
    }

    private String string(Map<String, Object> map, String key, boolean required, String field) {
        Object value = map.get(key);
        if (value == null) {
            if (required) {
                problems.add("[" + field + "] is required");
            }
            return null;
        }
        if (value instanceof String s) {
            return s;
        }
        problems.add("[" + field + "] must be a string");
        return null;
    }

    private String fileName(Map<String, Object> map, String field, String key) {
        String name = string(map, key, true, field);
        if (name != null && FILE_NAME.matcher(name).matches() == false) {
            problems.add("[" + field + "] must be a plain file name inside the pack folder, got [" + name + "]");
            return null;
        }
        return name;
    }

    private int positiveInt(Map<String, Object> map, String key) {
        Object value = map.get(key);
        if (value instanceof Integer i && i > 0) {
            return i;
        }
        problems.add("[" + key + "] " + (value == null ? "is required" : "must be a positive integer, got [" + value + "]"));
        return 0;
    }

    private boolean bool(Map<String, Object> map, String key, boolean defaultValue) {
        return bool(map, key, defaultValue, key);
    }

    private boolean bool(Map<String, Object> map, String key, boolean defaultValue, String field) {
        Object value = map.get(key);
        if (value == null) {
            return defaultValue;
        }
        if (value instanceof Boolean b) {
            return b;
        }
        problems.add("[" + field + "] must be true or false");
        return defaultValue;
    }

    private Map<String, Object> object(Map<String, Object> map, String key, boolean required) {
        return object(map, key, required, key);
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> object(Map<String, Object> map, String key, boolean required, String field) {
        Object value = map.get(key);
        if (value == null) {
            if (required) {
                problems.add("[" + field + "] is required");
            }
            return null;
        }
        if (value instanceof Map<?, ?> m) {
            return (Map<String, Object>) m;
        }
        problems.add("[" + field + "] must be an object");
        return null;
    }

    private List<?> list(Map<String, Object> map, String field, String key) {
        Object value = map.get(key);
        if (value == null) {
            return List.of();
        }
        if (value instanceof List<?> l) {
            return l;
        }
        problems.add("[" + field + "] must be a list of file names");
        return List.of();
    }

    private <T> T parseEnum(Map<String, Object> map, String key, java.util.function.Function<String, T> reader) {
        String value = string(map, key, true);
        if (value == null) {
            return null;
        }
        try {
            return reader.apply(value);
        } catch (IllegalArgumentException e) {
            problems.add("[" + key + "] " + e.getMessage());
            return null;
        }
    }
}
