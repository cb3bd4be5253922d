"""PyTorch side of `npm run bench`: the same micro-benchmarks as bench/bench.ts, in plain eager
PyTorch (Debian python3-torch), printed as one JSON line. Run by bench.ts in the same command.

  python3 bench/pytorch_ops.py --threads 1 --sizes 256,512,1024 --reps 20
OpenBLAS threads come from OPENBLAS_NUM_THREADS in the environment (bench.ts sets it).
"""
import argparse, json, time
import torch
import torch.nn.functional as F


def best_of(fn, reps, rounds=5):
    best = float("inf")
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(reps):
            fn()
        best = min(best, (time.perf_counter() - t) / reps)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--sizes", default="256,512,1024")
    ap.add_argument("--reps", type=int, default=10)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    out = {"torch": torch.__version__, "threads": a.threads, "matmul_gflops": {}}
    for n in [int(s) for s in a.sizes.split(",")]:
        x, y = torch.randn(n, n), torch.randn(n, n)
        reps = max(2, int(a.reps * (512 / n) ** 3))
        x @ y
        s = best_of(lambda: x @ y, reps)
        out["matmul_gflops"][str(n)] = 2 * n ** 3 / s / 1e9

    # tiny forward + backward: per-op overhead dominates
    x = torch.randn(4, 16)
    tgt = torch.randn(4, 1)
    w1 = torch.randn(32, 16, requires_grad=True)
    b1 = torch.zeros(32, requires_grad=True)
    w2 = torch.randn(1, 32, requires_grad=True)
    b2 = torch.zeros(1, requires_grad=True)

    def tiny():
        for p in (w1, b1, w2, b2):
            p.grad = None
        h = F.linear(x, w1, b1).relu()
        loss = F.mse_loss(F.linear(h, w2, b2), tgt)
        loss.backward()

    for _ in range(200):
        tiny()
    out["tiny_fwd_bwd_us"] = best_of(tiny, 2000) * 1e6

    z = torch.randn(4, 4)
    out["single_op_us"] = best_of(lambda: z.neg(), 20000) * 1e6
    print(json.dumps(out))


if __name__ == "__main__":
    main()
