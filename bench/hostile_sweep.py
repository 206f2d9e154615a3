#!/usr/bin/env python3
"""Hostile and careless requests against a running node with instruct-embed (issue #14).

Sends about 115 requests that a careless or hostile client could send (wrong JSON types, huge
numbers, deep nesting, odd unicode, out-of-range k, unknown parameters, wrong methods and content
types) and checks that every answer is a 4xx that names the problem, with no stack trace in the
body, and that the node still embeds, indexes and searches afterwards. Standard library only;
talks to 127.0.0.1 only.

    python3 bench/hostile_sweep.py [--url http://127.0.0.1:9200]

Exit status 0 when every check passed. It creates and deletes its own pipeline and indices
(named hostile-*), and restores the cluster settings it touches.
"""
import argparse
import json
import sys
import urllib.error
import urllib.request

ROOT = "/_plugins/_instruct_embed"
MODEL = "bge-small-en-v1.5"
VECTOR = {"type": "knn_vector", "dimension": 384,
          "method": {"name": "hnsw", "engine": "lucene", "space_type": "cosinesimil"}}


class Node:
    def __init__(self, url):
        if not url.startswith("http://127.0.0.1") and not url.startswith("http://localhost"):
            raise SystemExit("only a node on the loopback address may be swept")
        self.url = url.rstrip("/")

    def call(self, method, path, body=None, content_type="application/json", timeout=120):
        if isinstance(body, (dict, list)):
            data = json.dumps(body).encode()
        elif isinstance(body, str):
            data = body.encode()
        else:
            data = body
        request = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None and content_type:
            request.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode("utf-8", "replace")


def knn(options, field="vec"):
    return {"query": {"instruct_knn": {field: options}}}


def embed(**fields):
    body = {"model_id": MODEL, "texts": ["hello"]}
    body.update(fields)
    return body


def openai(**fields):
    body = {"model": MODEL, "input": "hello"}
    body.update(fields)
    return body


def text_knn(query_text="how do brain cells talk?", k=3, **options):
    """instruct_knn on the sweep's instruct_text field (chunked: the query becomes a nested query on chunks)."""
    spec = {"query_text": query_text, "k": k}
    spec.update(options)
    return {"query": {"instruct_knn": {"body": spec}}}


def nested(depth):
    """A JSON text of objects nested {@code depth} deep (built as text: Python's encoder recurses)."""
    return '{"a":' * depth + '"x"' + "}" * depth


def cases():
    """(name, method, path, body, names: substrings the answer must contain, statuses allowed[, content type])."""
    s = "/hostile-knn/_search"
    bad = {400}
    return [
        # _embed: types, sizes, structure
        ("embed texts nested arrays", "POST", ROOT + "/_embed", embed(texts=[["a"]]), ["[texts][0] must be a string"], bad),
        ("embed texts float", "POST", ROOT + "/_embed", embed(texts=[1.5]), ["[texts][0] must be a string"], bad),
        ("embed texts huge number", "POST", ROOT + "/_embed", '{"model_id":"%s","texts":[1e400]}' % MODEL, ["[texts][0] must be a string"], bad),
        ("embed model_id number", "POST", ROOT + "/_embed", embed(model_id=7), ["model_id"], bad),
        ("embed model_id object", "POST", ROOT + "/_embed", embed(model_id={"id": MODEL}), ["model_id"], bad),
        ("embed model_id empty", "POST", ROOT + "/_embed", embed(model_id=""), ["[model_id] is required"], bad),
        ("embed model_id path", "POST", ROOT + "/_embed", embed(model_id="../../config/x"), ["not found"], {404}),
        ("embed model_id unicode", "POST", ROOT + "/_embed", embed(model_id="模型🙂"), ["not found"], {404}),
        ("embed input_type number", "POST", ROOT + "/_embed", embed(input_type=1), ["input_type"], bad),
        ("embed input_type upper case", "POST", ROOT + "/_embed", embed(input_type="QUERY"), ["input_type"], bad),
        ("embed task array", "POST", ROOT + "/_embed", embed(input_type="query", task=["retrieval"]), ["task"], bad),
        ("embed empty task", "POST", ROOT + "/_embed", embed(input_type="query", task=""), ["has no task []"], bad),
        ("embed 300 texts", "POST", ROOT + "/_embed", embed(texts=["t"] * 300), ["[texts] has 300 texts"], bad),
        ("embed text over the limit", "POST", ROOT + "/_embed", embed(texts=["a" * 100_001]), ["instruct_embed.limits.max_text_chars"], bad),
        ("embed request over the limit", "POST", ROOT + "/_embed", embed(texts=["b" * 90_000] * 12), ["instruct_embed.limits.max_request_chars"], bad),
        ("embed whitespace texts", "POST", ROOT + "/_embed", embed(texts=["ok", "\u3000\u2003 "]), ["[texts][1] is blank"], bad),
        ("embed deep nesting", "POST", ROOT + "/_embed", '{"model_id":"%s","texts":["a"],"task":%s}' % (MODEL, nested(2000)), ["task"], bad),
        ("embed root array", "POST", ROOT + "/_embed", [1, 2], [""], bad),
        ("embed root string", "POST", ROOT + "/_embed", '"texts"', [""], bad),
        ("embed truncated json", "POST", ROOT + "/_embed", '{"model_id":"%s","texts":["a"' % MODEL, [""], bad),
        ("embed invalid utf-8", "POST", ROOT + "/_embed", b'{"model_id":"' + MODEL.encode() + b'","texts":["\xff\xfe"]}', [""], bad),
        ("embed unknown url param", "POST", ROOT + "/_embed?verbose=true", embed(), ["unrecognized parameter", "verbose"], bad),
        ("embed GET", "GET", ROOT + "/_embed", None, ["method"], {405}),
        ("embed text/plain", "POST", ROOT + "/_embed", "hello", ["Content-Type"], {406}, "text/plain"),
        ("embed no content type", "POST", ROOT + "/_embed", "{}", ["Content-Type"], {406}, None),
        # v1/embeddings: OpenAI's error shape with the parameter named
        ("openai input null", "POST", ROOT + "/v1/embeddings", openai(input=None), ['"param":"input"'], bad),
        ("openai input nested null", "POST", ROOT + "/v1/embeddings", openai(input=[[None]]), ['"param":"input"'], bad),
        ("openai input object", "POST", ROOT + "/v1/embeddings", openai(input={"text": "x"}), ['"param":"input"'], bad),
        ("openai input blank", "POST", ROOT + "/v1/embeddings", openai(input=["  "]), ['"param":"input"', "blank"], bad),
        ("openai model number", "POST", ROOT + "/v1/embeddings", openai(model=3), ['"param":"model"'], bad),
        ("openai dimensions string", "POST", ROOT + "/v1/embeddings", openai(dimensions="384"), ['"param":"dimensions"'], bad),
        ("openai dimensions negative", "POST", ROOT + "/v1/embeddings", openai(dimensions=-1), ['"param":"dimensions"'], bad),
        ("openai dimensions huge", "POST", ROOT + "/v1/embeddings", openai(dimensions=10**12), ['"param":"dimensions"'], bad),
        ("openai encoding_format", "POST", ROOT + "/v1/embeddings", openai(encoding_format="hex"), ['"param":"encoding_format"'], bad),
        ("openai user number", "POST", ROOT + "/v1/embeddings", openai(user=5), ['"param":"user"'], bad),
        ("openai unknown task", "POST", ROOT + "/v1/embeddings", openai(input_type="query", task="nope"), ['"param":"task"'], bad),
        ("openai unknown url param", "POST", ROOT + "/v1/embeddings?stream=true", openai(), ['"param":"stream"', '"type":"invalid_request_error"'], bad),
        ("openai unknown body field", "POST", ROOT + "/v1/embeddings", openai(temperature=0.5), ['"param":"temperature"'], bad),
        ("openai not json", "POST", ROOT + "/v1/embeddings", "{model:", ['"error"'], bad),
        ("openai unknown model", "POST", ROOT + "/v1/embeddings", openai(model="gpt-4"), ['"param":"model"', "model_not_found"], {404}),
        # instruct_knn
        ("knn k negative", "POST", s, knn({"query_text": "x", "k": -1}), ["k"], bad),
        ("knn k zero", "POST", s, knn({"query_text": "x", "k": 0}), ["k"], bad),
        ("knn k huge", "POST", s, knn({"query_text": "x", "k": 10**30}), ["[k]"], bad),
        ("knn k string", "POST", s, knn({"query_text": "x", "k": "ten"}), ["[k]"], bad),
        ("knn deep option", "POST", s, '{"query":{"instruct_knn":{"vec":{"query_text":"x","k":3,"colour":%s}}}}' % nested(3000), ["nesting depth"], bad),
        ("knn deep filter", "POST", s, '{"query":{"instruct_knn":{"vec":{"query_text":"x","k":3,"filter":%s}}}}' % nested(3000), ["nesting depth"], bad),
        ("openai deep input", "POST", ROOT + "/v1/embeddings", '{"model":"%s","input":%s}' % (MODEL, nested(3000)), ['"error"'], bad),
        ("knn boost string", "POST", s, knn({"query_text": "x", "k": 3, "boost": "high"}), ["[boost]"], bad),
        ("knn name array", "POST", s, knn({"query_text": "x", "k": 3, "_name": ["a"]}), ["[_name]"], bad),
        ("knn query_text bool", "POST", s, knn({"query_text": False, "k": 3}), ["[query_text] must be a string"], bad),
        ("knn query_text 2 MB", "POST", s, knn({"query_text": "w " * 1_000_000, "k": 3}), ["instruct_embed.limits.max_text_chars"], bad),
        ("knn two fields", "POST", s, {"query": {"instruct_knn": {"vec": {"query_text": "x", "k": 1}, "v2": {"query_text": "y", "k": 1}}}}, ["one vector field"], bad),
        ("knn unknown option", "POST", s, knn({"query_text": "x", "k": 3, "colour": "red"}), ["colour"], bad),
        ("knn filter string", "POST", s, knn({"query_text": "x", "k": 3, "filter": "lang:en"}), ["filter"], bad),
        ("knn inner_hits not nested", "POST", s, knn({"query_text": "x", "k": 3, "inner_hits": {}}), ["[inner_hits]"], bad),
        ("knn method_parameters bad", "POST", s, knn({"query_text": "x", "k": 3, "method_parameters": {"ef_search": "lots"}}), ["ef_search"], bad),
        ("knn model_id empty", "POST", s, knn({"query_text": "x", "k": 3, "model_id": ""}), ["model [] not found"], {404}),
        ("knn on a text field", "POST", s, knn({"query_text": "x", "k": 3, "model_id": MODEL}, field="text"), ["not [knn_vector]"], bad),
        ("knn missing index", "POST", "/hostile-no-such-index/_search", knn({"query_text": "x", "k": 3}), ["no such index"], {404}),
        ("knn in msearch null text", "POST", "/_msearch", '{"index":"hostile-knn"}\n{"query":{"instruct_knn":{"vec":{"query_text":null,"k":1}}}}\n', ["[query_text] must be a string"], bad),
        ("knn nested unknown path", "POST", s, {"query": {"nested": {"path": "nope", "query": {"instruct_knn": {"nope.vector": {"query_text": "x", "k": 1}}}}}}, ["nope"], bad),
        ("knn huge size", "POST", s, {"size": 10**9, **knn({"query_text": "x", "k": 3})}, ["size"], bad),
        ("knn min_score and k", "POST", s, knn({"query_text": "x", "k": 3, "min_score": 0.5}), ["k"], bad),
        ("knn lone surrogate model", "POST", s, '{"query":{"instruct_knn":{"vec":{"query_text":"x","k":3,"model_id":"\\ud800"}}}}', ["not found"], {404}),
        ("embed instruction on documents", "POST", ROOT + "/_embed", embed(instruction="Find: "), ["[instruction] applies to input_type [query] only"], bad),
        ("openai root array", "POST", ROOT + "/v1/embeddings", [openai()], ['"error"'], bad),
        ("openai 300 inputs", "POST", ROOT + "/v1/embeddings", openai(input=["x"] * 300), ['"param":"input"', "max_texts"], bad),
        ("openai input over the limit", "POST", ROOT + "/v1/embeddings", openai(input="c" * 100_001), ['"param":"input"', "max_text_chars"], bad),
        ("openai instruction on documents", "POST", ROOT + "/v1/embeddings", openai(instruction="Find: "), ['"param":"instruction"'], bad),
        ("simulate bad doc", "POST", "/_ingest/pipeline/hostile-embed/_simulate", {"docs": [{"_source": {"text": ["ok", 5]}}]}, ["field [text][1] must be a string"], {200}),
        ("pipeline overlap over half", "PUT", "/_ingest/pipeline/hostile-bad", {"processors": [{"instruct_embedding": {"model_id": MODEL, "field_map": {"a": "b"}, "chunking": {"method": "tokens", "max_tokens": 64, "overlap_tokens": 60}}}]}, ["overlap_tokens"], bad),
        ("pipeline chain", "PUT", "/_ingest/pipeline/hostile-bad", {"processors": [{"instruct_embedding": {"model_id": MODEL, "field_map": {"a": "b", "b": "c"}}}]}, ["is itself a source field"], bad),
        ("unload unknown", "POST", ROOT + "/models/no-such-pack/_unload", None, ["not found"], {404}),
        # models, stats, pipelines, settings
        ("models unknown", "GET", ROOT + "/models/no-such-pack", None, ["not found"], {404}),
        ("models encoded path", "GET", ROOT + "/models/..%2F..%2Fetc%2Fpasswd", None, ["not found"], {404}),
        ("load unknown", "POST", ROOT + "/models/no-such-pack/_load", None, ["not found"], {404}),
        ("models DELETE", "DELETE", ROOT + "/models", None, ["method"], {405}),
        ("stats unknown param", "GET", ROOT + "/stats?detail=all", None, ["unrecognized parameter", "detail"], bad),
        ("pipeline field_map number", "PUT", "/_ingest/pipeline/hostile-bad", {"processors": [{"instruct_embedding": {"model_id": MODEL, "field_map": {"a": 5}}}]}, ["field_map"], bad),
        ("pipeline field_map array", "PUT", "/_ingest/pipeline/hostile-bad", {"processors": [{"instruct_embedding": {"model_id": MODEL, "field_map": ["a"]}}]}, ["field_map"], bad),
        ("pipeline truncate string", "PUT", "/_ingest/pipeline/hostile-bad", {"processors": [{"instruct_embedding": {"model_id": MODEL, "field_map": {"a": "b"}, "truncate": "maybe"}}]}, ["truncate"], bad),
        ("pipeline chunking method", "PUT", "/_ingest/pipeline/hostile-bad", {"processors": [{"instruct_embedding": {"model_id": MODEL, "field_map": {"a": "b"}, "chunking": {"method": "words"}}}]}, ["method"], bad),
        ("pipeline chunking huge max_tokens", "PUT", "/_ingest/pipeline/hostile-bad", {"processors": [{"instruct_embedding": {"model_id": MODEL, "field_map": {"a": "b"}, "chunking": {"max_tokens": 10**12}}}]}, ["max_tokens"], bad),
        ("pipeline unknown option", "PUT", "/_ingest/pipeline/hostile-bad", {"processors": [{"instruct_embedding": {"model_id": MODEL, "field_map": {"a": "b"}, "colour": 1}}]}, ["colour"], bad),
        ("pipeline target inside source", "PUT", "/_ingest/pipeline/hostile-bad", {"processors": [{"instruct_embedding": {"model_id": MODEL, "field_map": {"doc": "doc.vec"}}}]}, ["lie on one path"], bad),
        ("doc text deep object", "PUT", "/hostile-knn/_doc/deep", '{"text":%s}' % nested(50), ["field [text] must be a string"], bad),
        ("doc text huge number", "PUT", "/hostile-knn/_doc/num", '{"text": 1e308}', ["field [text] must be a string"], bad),
        ("setting negative limit", "PUT", "/_cluster/settings", {"transient": {"instruct_embed.limits.max_text_chars": -5}}, ["instruct_embed.limits.max_text_chars"], bad),
        ("setting text limit", "PUT", "/_cluster/settings", {"transient": {"instruct_embed.limits.max_request_chars": "lots"}}, ["instruct_embed.limits.max_request_chars"], bad),
        # issue #21's sweep again, with inputs it did not list: search contexts, aliases, inner hits, chunk fields
        ("alias filter instruct_knn", "POST", "/_aliases", {"actions": [{"add": {"index": "hostile-text", "alias": "hostile-a", "filter": text_knn()["query"]}}]}, ["runs only in a search request"], bad),
        ("alias filter in create index", "PUT", "/hostile-aliased", {"aliases": {"hostile-b": {"filter": knn({"query_text": "x", "k": 1})["query"]}}}, ["runs only in a search request"], bad),
        ("alias filter nested in bool", "POST", "/_aliases", {"actions": [{"add": {"index": "hostile-knn", "alias": "hostile-c", "filter": {"bool": {"filter": [knn({"query_text": "x", "k": 1})["query"]]}}}}]}, ["runs only in a search request"], bad),
        ("mixed indices without the field", "POST", "/hostile-knn,hostile-plain/_search", knn({"query_text": "x", "k": 3}), ["is not mapped in [hostile-plain]", "ignore_unmapped"], bad),
        ("wildcard indices without the field", "POST", "/hostile-*/_search", text_knn(), ["is not mapped in", "ignore_unmapped"], bad),
        ("ignore_unmapped string", "POST", "/hostile-knn,hostile-plain/_search", knn({"query_text": "x", "k": 3, "ignore_unmapped": "perhaps"}), ["ignore_unmapped"], bad),
        ("two clauses same inner_hits name", "POST", "/hostile-text/_search", {"query": {"bool": {"should": [text_knn(inner_hits={"name": "n"})["query"], text_knn(inner_hits={"name": "n"})["query"]]}}}, ["[inner_hits] name [n] is taken"], bad),
        ("inner_hits over the window", "POST", "/hostile-text/_search", text_knn(inner_hits={"size": 10**6}), ["Inner result window is too large"], bad),
        ("inner_hits unknown option", "POST", "/hostile-text/_search", text_knn(inner_hits={"colour": 1}), ["colour"], bad),
        ("inner_hits string", "POST", "/hostile-text/_search", text_knn(inner_hits="all"), ["[inner_hits] must be an object"], bad),
        ("nested on chunk path, bad k", "POST", "/hostile-text/_search", {"query": {"nested": {"path": "body_instruct.chunks", "query": text_knn(k=0)["query"]}}}, ["k"], bad),
        ("chunk query sent directly, unknown path", "POST", "/hostile-text/_search", {"query": {"instruct_knn_nested": {"path": "nope", "query": {"match_all": {}}}}}, ["is not a nested field of chunks"], bad),
        ("chunk query sent directly, no path", "POST", "/hostile-text/_search", {"query": {"instruct_knn_nested": {"query": {"match_all": {}}}}}, ["needs [path] and [query]"], bad),
        ("chunk query unknown option", "POST", "/hostile-text/_search", {"query": {"instruct_knn_nested": {"path": "body_instruct.chunks", "query": {"match_all": {}}, "colour": 1}}}, ["colour"], bad),
        ("invisible query_text", "POST", "/hostile-text/_search", text_knn(query_text="\u200b\u2060\u00a0"), ["blank"], bad),
        ("count bad k", "POST", "/hostile-text/_count", text_knn(k=-3), ["k"], bad),
        ("delete_by_query unknown field", "POST", "/hostile-knn/_delete_by_query", knn({"query_text": "x", "k": 1}, field="nope"), ["nope"], bad),
        ("update_by_query model mismatch", "POST", "/hostile-text/_update_by_query", text_knn(model_id="bge-small-en-v1.5-int8"), ["differs from the model"], bad),
        ("explain with a vector", "POST", "/hostile-knn/_explain/1", knn({"vector": [1.0], "k": 1}), ["takes [query_text], not [vector]"], bad),
        ("function_score bad query_text", "POST", "/hostile-text/_search", {"query": {"function_score": {"query": text_knn(query_text=["a"])["query"]}}}, ["[query_text] must be a string"], bad),
        ("msearch second line broken", "POST", "/_msearch", '{"index":"hostile-knn"}\n{"query":{"instruct_knn":{"vec":{"query_text":"x","k":1}}}}\n{"index":"hostile-knn"}\n{"query":\n', [""], bad),
        ("batch max_wait over the bound", "PUT", "/_cluster/settings", {"transient": {"instruct_embed.batch.max_wait": "1h"}}, ["instruct_embed.batch.max_wait"], bad),
        ("load with a node filter matching nothing", "POST", ROOT + "/models/" + MODEL + "/_load?nodes=no-such-node", None, ["no-such-node"], {404}),
        ("mapping chunking max_tokens zero", "PUT", "/hostile-bad-map", {"mappings": {"properties": {"b": {"type": "instruct_text", "model_id": MODEL, "chunking": {"max_tokens": 0}}}}}, ["max_tokens"], bad),
        ("openai models unknown id", "GET", ROOT + "/v1/models/gpt-4", None, ['"param":"model"', "model_not_found"], {404}),
        ("openai models encoded path", "GET", ROOT + "/v1/models/..%2F..%2Fetc", None, ["model_not_found"], {404}),
        ("openai models unknown param", "GET", ROOT + "/v1/models?limit=5", None, ['"param":"limit"'], bad),
        ("openai models DELETE", "DELETE", ROOT + "/v1/models/" + MODEL, None, ["method"], {405}),
        ("mapping unknown model", "PUT", "/hostile-bad-map", {"mappings": {"properties": {"b": {"type": "instruct_text", "model_id": "no-such-pack"}}}}, ["no-such-pack"], {400, 404}),
    ]


STACK_MARKERS = ["\tat org.", "\tat java.", "stack_trace", "Exception in thread", "at io.instructembed"]


def setup(node):
    node.call("DELETE", "/hostile-knn")
    node.call("PUT", "/_ingest/pipeline/hostile-embed", {"processors": [{"instruct_embedding": {
        "model_id": MODEL, "field_map": {"text": "vec"}}}]})
    status, body = node.call("PUT", "/hostile-knn", {
        "settings": {"index.knn": True, "number_of_replicas": 0, "index.default_pipeline": "hostile-embed"},
        "mappings": {"properties": {"text": {"type": "text"}, "vec": VECTOR}}})
    if status != 200:
        raise SystemExit("setup failed: %s %s" % (status, body))
    status, body = node.call("PUT", "/hostile-knn/_doc/1?refresh=true", {"text": "volcanoes and magma"})
    if status != 201:
        raise SystemExit("setup failed: %s %s" % (status, body))
    for index, body in (("hostile-plain", {"settings": {"number_of_replicas": 0}, "mappings": {"properties": {"title": {"type": "text"}}}}),
                        ("hostile-text", {"settings": {"index.knn": True, "number_of_replicas": 0},
                                          "mappings": {"properties": {"body": {"type": "instruct_text", "model_id": MODEL}}}})):
        node.call("DELETE", "/" + index)
        status, answer = node.call("PUT", "/" + index, body)
        if status != 200:
            raise SystemExit("setup failed: %s %s" % (status, answer))
    status, body = node.call("PUT", "/hostile-text/_doc/1?refresh=true", {"body": "Neurons pass signals across synapses."})
    if status != 201:
        raise SystemExit("setup failed: %s %s" % (status, body))


def still_serves(node):
    problems = []
    status, body = node.call("GET", "/_cluster/health?wait_for_status=yellow&timeout=30s")
    if status != 200:
        problems.append("health: %s %s" % (status, body[:200]))
    status, body = node.call("POST", ROOT + "/_embed", embed(texts=["still here?"]))
    if status != 200 or len(json.loads(body)["embeddings"][0]["vector"]) != 384:
        problems.append("_embed: %s %s" % (status, body[:200]))
    status, body = node.call("PUT", "/hostile-knn/_doc/2?refresh=true", {"text": "molten rock rises"})
    if status != 201:
        problems.append("index: %s %s" % (status, body[:200]))
    status, body = node.call("POST", "/hostile-knn/_search", knn({"query_text": "lava", "k": 2}))
    if status != 200 or json.loads(body)["hits"]["total"]["value"] != 2:
        problems.append("search: %s %s" % (status, body[:200]))
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:9200")
    node = Node(parser.parse_args().url)
    setup(node)
    failures = []
    all_cases = cases()
    try:
        for name, method, path, body, names, statuses, *content_type in all_cases:
            status, answer = node.call(method, path, body, *content_type)
            problems = []
            if status not in statuses:
                problems.append("status %s, wanted %s" % (status, sorted(statuses)))
            if status >= 500:
                problems.append("a server error")
            for marker in STACK_MARKERS:
                if marker in answer:
                    problems.append("a stack trace (%r)" % marker)
            for wanted in names:
                if wanted and wanted not in answer:
                    problems.append("does not name %r" % wanted)
            line = "%-36s %s %s" % (name, status, answer[:150].replace("\n", " "))
            print(("FAIL " if problems else "ok   ") + line)
            if problems:
                failures.append("%s: %s" % (name, "; ".join(problems)))
        failures += ["node after the sweep: " + p for p in still_serves(node)]
    finally:
        node.call("PUT", "/_cluster/settings", {"transient": {"instruct_embed.limits.*": None}})
        node.call("PUT", "/_cluster/settings", {"transient": {"instruct_embed.batch.*": None}})
        for index in ("hostile-knn", "hostile-plain", "hostile-text", "hostile-aliased", "hostile-bad-map"):
            node.call("DELETE", "/" + index)
        node.call("DELETE", "/_ingest/pipeline/hostile-embed")
        node.call("DELETE", "/_ingest/pipeline/hostile-bad")
    print("\n%d requests, %d failures" % (len(all_cases), len(failures)))
    for failure in failures:
        print("  " + failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
