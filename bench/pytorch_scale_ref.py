"""Scale yardstick: a Qwen2.5-0.5B-shaped decoder (Hugging Face Qwen2 semantics) in plain PyTorch eager.

What a Python user of PyTorch gets for one SFT step and for greedy decoding at Qwen2.5-0.5B's shape
(24 layers, hidden 896, 14 query / 2 key-value heads, intermediate 4864, vocab 151,936, tied
embeddings, q/k/v biases), random weights. The loss is Hugging Face's: full (B, T, V) logits from
the head, upcast to float32, cross-entropy over the shifted labels. LoRA (r 16 on q/k/v/o and the
MLP, base frozen) is two small matmuls beside each frozen linear, as PEFT adds them; gradient
checkpointing is torch.utils.checkpoint around each decoder layer, as transformers does.

One case per process, so that its peak RSS is its own:
  python3 pytorch_scale_ref.py --case sft [--lora] [--ckpt] --batch 2 --seq 512 --steps 2
  python3 pytorch_scale_ref.py --case generate --batch 8 --prompt 32 --new 32
Prints one JSON line: step_s (best step after the first) or tokens_per_s, and peak_rss_mib.
Needs Debian's python3-torch. Run it in the same command as bench/scale_bench.ts (bench/bench.ts does).
"""
import argparse, json, math, resource, time
import torch
import torch.nn.functional as F
import torch.utils.checkpoint

QWEN25_05B = dict(vocab_size=151936, hidden_size=896, intermediate_size=4864, num_hidden_layers=24,
                  num_attention_heads=14, num_key_value_heads=2, rms_norm_eps=1e-6, rope_theta=1000000.0)


def rms_norm(x, w, eps):
    v = x.float().pow(2).mean(-1, keepdim=True)
    return (x.float() * torch.rsqrt(v + eps)).to(x.dtype) * w


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], -1)


class LoraLinear(torch.nn.Module):
    """A frozen linear with an optional adapter: W x + b + (alpha / r) B A x (PEFT's layout)."""

    def __init__(self, d_in, d_out, bias):
        super().__init__()
        self.base = torch.nn.Linear(d_in, d_out, bias=bias)
        torch.nn.init.normal_(self.base.weight, std=0.02)
        if bias:
            torch.nn.init.zeros_(self.base.bias)
        self.a = self.b = None

    def add_lora(self, r, alpha):
        self.base.requires_grad_(False)
        self.a = torch.nn.Parameter(torch.empty(r, self.base.in_features).uniform_(-1 / math.sqrt(self.base.in_features), 1 / math.sqrt(self.base.in_features)))
        self.b = torch.nn.Parameter(torch.zeros(self.base.out_features, r))
        self.scale = alpha / r

    def forward(self, x):
        y = self.base(x)
        return y if self.a is None else y + (x @ self.a.t() @ self.b.t()) * self.scale


class Layer(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        d, h, kv, i = c["hidden_size"], c["num_attention_heads"], c["num_key_value_heads"], c["intermediate_size"]
        self.h, self.kv, self.hd, self.eps = h, kv, d // h, c["rms_norm_eps"]
        self.q_proj, self.k_proj, self.v_proj = LoraLinear(d, d, True), LoraLinear(d, kv * self.hd, True), LoraLinear(d, kv * self.hd, True)
        self.o_proj = LoraLinear(d, d, False)
        self.gate_proj, self.up_proj, self.down_proj = LoraLinear(d, i, False), LoraLinear(d, i, False), LoraLinear(i, d, False)
        self.input_layernorm = torch.nn.Parameter(torch.ones(d))
        self.post_attention_layernorm = torch.nn.Parameter(torch.ones(d))

    def forward(self, x, cos, sin, cache=None):
        B, T, _ = x.shape
        y = rms_norm(x, self.input_layernorm, self.eps)
        q = self.q_proj(y).view(B, T, self.h, self.hd).transpose(1, 2)
        k = self.k_proj(y).view(B, T, self.kv, self.hd).transpose(1, 2)
        v = self.v_proj(y).view(B, T, self.kv, self.hd).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        if cache is not None:
            if cache.get("k") is not None:
                k, v = torch.cat([cache["k"], k], 2), torch.cat([cache["v"], v], 2)
            cache["k"], cache["v"] = k, v
        k, v = k.repeat_interleave(self.h // self.kv, 1), v.repeat_interleave(self.h // self.kv, 1)
        S = k.shape[2]
        att = (q @ k.transpose(-1, -2)) / math.sqrt(self.hd)  # HF eager attention
        mask = torch.ones(T, S, dtype=torch.bool).tril(S - T)
        att = att.masked_fill(~mask, float("-inf")).softmax(-1, dtype=torch.float32).to(q.dtype)
        x = x + self.o_proj((att @ v).transpose(1, 2).reshape(B, T, self.h * self.hd))
        y = rms_norm(x, self.post_attention_layernorm, self.eps)
        return x + self.down_proj(F.silu(self.gate_proj(y)) * self.up_proj(y))


class Qwen2(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.embed_tokens = torch.nn.Embedding(c["vocab_size"], c["hidden_size"])
        torch.nn.init.normal_(self.embed_tokens.weight, std=0.02)
        self.layers = torch.nn.ModuleList(Layer(c) for _ in range(c["num_hidden_layers"]))
        self.norm = torch.nn.Parameter(torch.ones(c["hidden_size"]))
        hd = c["hidden_size"] // c["num_attention_heads"]
        self.inv_freq = 1.0 / (c["rope_theta"] ** (torch.arange(0, hd, 2, dtype=torch.float32) / hd))
        self.checkpointing = False

    def forward(self, ids, caches=None, start=0, last_only=False):
        T = ids.shape[1]
        f = torch.outer(torch.arange(start, start + T, dtype=torch.float32), self.inv_freq)
        emb = torch.cat([f, f], -1)
        cos, sin = emb.cos()[None, None], emb.sin()[None, None]
        x = self.embed_tokens(ids)
        for i, layer in enumerate(self.layers):
            if self.checkpointing and self.training:
                x = torch.utils.checkpoint.checkpoint(layer, x, cos, sin, use_reentrant=False)
            else:
                x = layer(x, cos, sin, None if caches is None else caches[i])
        if last_only:  # generation: transformers' logits_to_keep=1
            x = x[:, -1:]
        x = rms_norm(x, self.norm, self.c["rms_norm_eps"])
        return x @ self.embed_tokens.weight.t()  # (B, T, V): tied head, full logits


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", choices=["sft", "generate"], required=True)
    ap.add_argument("--lora", action="store_true")
    ap.add_argument("--ckpt", action="store_true")
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--seq", type=int, default=512)
    ap.add_argument("--steps", type=int, default=2)
    ap.add_argument("--prompt", type=int, default=32)
    ap.add_argument("--new", type=int, default=32)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--layers", type=int, default=24)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    c = dict(QWEN25_05B, num_hidden_layers=a.layers)
    m = Qwen2(c)
    V = c["vocab_size"]
    out = dict(engine="pytorch-eager", torch=torch.__version__, case=a.case, params=sum(p.numel() for p in m.parameters()))
    if a.case == "sft":
        if a.lora:
            for layer in m.layers:
                for name in ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]:
                    getattr(layer, name).add_lora(16, 32)
            for p in [m.embed_tokens.weight, m.norm] + [p for l in m.layers for p in (l.input_layernorm, l.post_attention_layernorm)]:
                p.requires_grad_(False)
        m.checkpointing = a.ckpt
        m.train()
        params = [p for p in m.parameters() if p.requires_grad]
        opt = torch.optim.AdamW(params, lr=1e-5, betas=(0.9, 0.95), weight_decay=0.0)
        ids = torch.randint(0, V, (a.batch, a.seq))
        times = []
        for _ in range(a.steps):
            t = time.perf_counter()
            logits = m(ids).float()  # HF: logits upcast for the loss
            labels = F.pad(ids, (0, 1), value=-100)[:, 1:]  # HF ForCausalLMLoss: shift the labels
            loss = F.cross_entropy(logits.view(-1, V), labels.reshape(-1), ignore_index=-100)
            del logits
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            times.append(time.perf_counter() - t)
        out.update(lora=a.lora, ckpt=a.ckpt, batch=a.batch, seq=a.seq, step_s=round(min(times[1:] or times), 3), loss=round(loss.item(), 4),
                   trainable=sum(p.numel() for p in params))
    else:
        m.eval()
        with torch.no_grad():
            prompt = torch.randint(0, V, (a.batch, a.prompt))
            caches = [dict() for _ in m.layers]
            t = time.perf_counter()
            nxt = m(prompt, caches, 0, last_only=True)[:, -1].argmax(-1, keepdim=True)
            for s in range(a.new - 1):
                nxt = m(nxt, caches, a.prompt + s, last_only=True)[:, -1].argmax(-1, keepdim=True)
            out.update(batch=a.batch, tokens_per_s=round(a.batch * a.new / (time.perf_counter() - t), 2))
    out["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
