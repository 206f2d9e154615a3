#!/usr/bin/env python3
"""Exports a large pack's weights from Hugging Face to the ONNX layout its pack.json expects.

Run it on a machine with the weights (or Hub access), Python 3.10+, torch and transformers
(sentence-transformers for the check, onnxruntime or onnxruntime-gpu), then copy the output folder
to config/instruct-embed/packs/<pack id>/ on every node and restart:

    python3 export/export_pack.py --pack sfr-embedding-mistral --out /tmp/sfr-embedding-mistral
    python3 export/export_pack.py --pack sarashina-embedding-v2-1b --out /tmp/sarashina --fp16   # GPU nodes

It writes model.onnx with its weights in model.onnx_data (the graphs exceed protobuf's 2 GB),
and tokenizer.json. The graph takes the inputs the manifest maps (input_ids, attention_mask,
position_ids) and returns last_hidden_state [batch, sequence, hidden]; the plugin pools at each
row's last real token. Feeding position_ids 0.. over the real tokens makes a padded row compute
exactly what the text alone would.

Then it checks the export: sample queries and documents, rendered with the pack's own templates,
embedded by ONNX Runtime (with the plugin's pooling and normalisation) and by the original model
through sentence-transformers; every cosine must reach --min-cosine (0.9999 fp32, 0.999 fp16).
"""
import argparse
import json
import os
import shutil
import sys

HF_MODELS = {
    "sarashina-embedding-v2-1b": "sbintuitions/sarashina-embedding-v2-1b",
    "sfr-embedding-2-r": "Salesforce/SFR-Embedding-2_R",
    "sfr-embedding-mistral": "Salesforce/SFR-Embedding-Mistral",
}
SAMPLES = {
    "sarashina-embedding-v2-1b": ["東京の人口はどれくらいですか?", "富士山は日本で一番高い山です。", "猫は夜行性の動物です。"],
    "default": ["how do neurons communicate?", "Neurons pass signals across synapses.", "The stock market fell today."],
}


def render(manifest, text, side, task=None):
    prompts = manifest["prompts"]
    if side == "document":
        return prompts["document"].replace("{text}", text)
    instruction = manifest["tasks"][task or manifest["default_task"]]["instruction"]
    before, after = prompts["query"].split("{text}", 1)
    return before.replace("{instruction}", instruction) + text + after.replace("{instruction}", instruction)


def export(args, manifest):
    import torch
    from transformers import AutoModel, AutoTokenizer

    source = args.source or HF_MODELS[args.pack]
    os.makedirs(args.out, exist_ok=True)
    tokenizer = AutoTokenizer.from_pretrained(source)
    tokenizer.save_pretrained(os.path.join(args.out, "hf-tokenizer"))
    shutil.copy(os.path.join(args.out, "hf-tokenizer", "tokenizer.json"), os.path.join(args.out, manifest["tokenizer"]))

    dtype = torch.float16 if args.fp16 else torch.float32
    model = AutoModel.from_pretrained(source, torch_dtype=dtype).to(args.device).eval()

    class LastHiddenState(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, position_ids):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids,
                              use_cache=False).last_hidden_state

    names = manifest["model"]["inputs"]
    sample = tokenizer(["a short example text", "another"], padding=True, return_tensors="pt")
    positions = (sample["attention_mask"].cumsum(-1) - 1).clamp(min=0)
    inputs = (sample["input_ids"].to(args.device), sample["attention_mask"].to(args.device), positions.to(args.device))
    graph = os.path.join(args.out, "export-tmp.onnx")
    dynamic = {"batch": 0, "sequence": 1}
    torch.onnx.export(
        LastHiddenState(model), inputs, graph,
        input_names=[names["input_ids"], names["attention_mask"], names["position_ids"]],
        output_names=[manifest["model"]["output"]],
        dynamic_axes={names["input_ids"]: dynamic, names["attention_mask"]: dynamic, names["position_ids"]: dynamic,
                      manifest["model"]["output"]: dynamic},
        opset_version=17, do_constant_folding=True)

    import onnx
    loaded = onnx.load(graph, load_external_data=True)
    target = os.path.join(args.out, manifest["model"]["file"])
    data = manifest["model"].get("external_data", ["model.onnx_data"])[0]
    onnx.save_model(loaded, target, save_as_external_data=True, all_tensors_to_one_file=True, location=data)
    for leftover in os.listdir(args.out):
        if leftover not in (manifest["model"]["file"], data, manifest["tokenizer"], "hf-tokenizer"):
            path = os.path.join(args.out, leftover)
            os.remove(path) if os.path.isfile(path) else None
    shutil.rmtree(os.path.join(args.out, "hf-tokenizer"), ignore_errors=True)
    print(f"wrote {target} (+ {data}) and {manifest['tokenizer']} to {args.out}")


def check(args, manifest):
    import numpy as np
    import onnxruntime as ort
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer

    source = args.source or HF_MODELS[args.pack]
    texts = SAMPLES.get(args.pack, SAMPLES["default"])
    rendered = [render(manifest, t, "query") for t in texts] + [render(manifest, t, "document") for t in texts]
    providers = ["CUDAExecutionProvider", "CPUExecutionProvider"] if args.device.startswith("cuda") else ["CPUExecutionProvider"]
    session = ort.InferenceSession(os.path.join(args.out, manifest["model"]["file"]), providers=providers)
    tokenizer = Tokenizer.from_file(os.path.join(args.out, manifest["tokenizer"]))
    names = manifest["model"]["inputs"]
    ours = []
    for text in rendered:  # one text per run: the plugin's batching is tested elsewhere
        ids = tokenizer.encode(text).ids[: manifest["max_tokens"]]
        feed = {names["input_ids"]: np.array([ids], dtype=np.int64),
                names["attention_mask"]: np.ones((1, len(ids)), dtype=np.int64),
                names["position_ids"]: np.arange(len(ids), dtype=np.int64)[None, :]}
        hidden = session.run([manifest["model"]["output"]], feed)[0].astype(np.float32)
        vector = hidden[0, len(ids) - 1]
        ours.append(vector / np.linalg.norm(vector))
    reference = SentenceTransformer(source, device=args.device).encode(rendered, normalize_embeddings=True)
    worst = 1.0
    for i, text in enumerate(rendered):
        cosine = float(np.dot(ours[i], reference[i]))
        worst = min(worst, cosine)
        print(f"cosine {cosine:.6f}  {text[:70]!r}")
    minimum = args.min_cosine or (0.999 if args.fp16 else 0.9999)
    if worst < minimum:
        sys.exit(f"export check failed: worst cosine {worst:.6f} < {minimum}")
    print(f"export check passed: worst cosine {worst:.6f} >= {minimum}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pack", required=True, choices=sorted(HF_MODELS))
    parser.add_argument("--out", required=True)
    parser.add_argument("--source", help="Hugging Face id or local folder (default: the pack's model)")
    parser.add_argument("--fp16", action="store_true", help="export in float16 (GPU nodes)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda[:N] for the export and the check")
    parser.add_argument("--min-cosine", type=float)
    parser.add_argument("--check-only", action="store_true")
    args = parser.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "model-packs", args.pack, "pack.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    if not args.check_only:
        export(args, manifest)
    check(args, manifest)


if __name__ == "__main__":
    main()
