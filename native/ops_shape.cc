// Shape ops: views (reshape, permute, narrow, slice, select, expand ...), indexing (indexSelect,
// gather, scatter, advanced index and index-put, maskedFill, where) and joining/splitting
// (cat, stack, split, chunk, unbind). Views share storage with their input, as in PyTorch.
#include "common.h"

namespace pt {
namespace {

#define VIEW(NAME, EXPR) {NAME, [](Ctx& c) -> Napi::Value { at::Tensor& x = c.t(0); return c.wrap(EXPR); }}

const std::vector<OpDef> kOps = {
    VIEW("reshape", x.reshape(c.ints(1))),
    VIEW("view", x.view(c.ints(1))),
    VIEW("permute", x.permute(c.ints(1))),
    VIEW("transpose", x.transpose(c.i64(1), c.i64(2))),
    VIEW("narrow", x.narrow(c.i64(1), c.i64(2), c.i64(3))),
    {"slice", [](Ctx& c) -> Napi::Value {  // (t, dim, start?, end?, step)
       at::Tensor& x = c.t(0);
       int64_t step = c.i64(4, 1);
       if (step < 1) c.argFail(4, "slice step must be >= 1");
       return c.wrap(at::slice(x, c.i64(1), c.optI64(2), c.optI64(3), step));
     }},
    VIEW("select", x.select(c.i64(1), c.i64(2))),
    VIEW("expand", x.expand(c.ints(1))),
    VIEW("repeat", x.repeat(c.ints(1))),
    {"repeatInterleave", [](Ctx& c) -> Napi::Value {  // (t, repeats: int | Tensor, dim?)
       at::Tensor& x = c.t(0);
       if (c.isTensor(1)) return c.wrap(at::repeat_interleave(x, c.t(1), c.optI64(2)));
       return c.wrap(at::repeat_interleave(x, c.scalar(1).toLong(), c.optI64(2)));
     }},
    {"squeeze", [](Ctx& c) -> Napi::Value { at::Tensor& x = c.t(0); return c.wrap(c.has(1) ? x.squeeze(c.i64(1)) : x.squeeze()); }},
    VIEW("unsqueeze", x.unsqueeze(c.i64(1))),
    VIEW("flatten", x.flatten(c.i64(1, 0), c.i64(2, -1))),
    VIEW("contiguous", x.contiguous()),
    VIEW("tril", at::tril(x, c.i64(1, 0))),
    VIEW("triu", at::triu(x, c.i64(1, 0))),
    VIEW("flip", at::flip(x, c.ints(1))),
    VIEW("nonzero", at::nonzero(x)),
    VIEW("t", x.t()),

    // ---------------------------------------------------------------- indexing
    {"indexSelect", [](Ctx& c) -> Napi::Value { at::Tensor& x = c.t(0); int64_t d = c.i64(1); return c.wrap(at::index_select(x, d, c.t(2))); }},
    {"gather", [](Ctx& c) -> Napi::Value { at::Tensor& x = c.t(0); int64_t d = c.i64(1); return c.wrap(at::gather(x, d, c.t(2))); }},
    {"scatter", [](Ctx& c) -> Napi::Value {  // (t, dim, index, src | value)
       at::Tensor& x = c.t(0);
       int64_t d = c.i64(1);
       at::Tensor& idx = c.t(2);
       if (c.isTensor(3)) return c.wrap(at::scatter(x, d, idx, c.t(3)));
       return c.wrap(at::scatter(x, d, idx, c.scalar(3)));
     }},
    {"scatterAdd", [](Ctx& c) -> Napi::Value {
       at::Tensor& x = c.t(0);
       int64_t d = c.i64(1);
       at::Tensor& idx = c.t(2);
       return c.wrap(at::scatter_add(x, d, idx, c.t(3)));
     }},
    {"index", [](Ctx& c) -> Napi::Value {  // (t, [Tensor | null, ...]) advanced indexing
       at::Tensor& x = c.t(0);
       auto idx = c.optTensors(1);
       c10::List<c10::optional<at::Tensor>> list;
       for (auto& i : idx) list.push_back(i);
       return c.wrap(at::index(x, list));
     }},
    {"indexPut_", [](Ctx& c) -> Napi::Value {  // (t, indices, values, accumulate)
       at::Tensor& x = c.t(0);
       auto idx = c.optTensors(1);
       c10::List<c10::optional<at::Tensor>> list;
       for (auto& i : idx) list.push_back(i);
       x.index_put_(list, c.t(2), c.b(3, false));
       return c.info[0];
     }},
    {"maskedFill", [](Ctx& c) -> Napi::Value {  // (t, mask, value | 0-d tensor)
       at::Tensor& x = c.t(0);
       at::Tensor& m = c.t(1);
       if (c.isTensor(2)) return c.wrap(at::masked_fill(x, m, c.t(2)));
       return c.wrap(at::masked_fill(x, m, c.scalar(2)));
     }},
    {"maskedFill_", [](Ctx& c) -> Napi::Value {
       at::Tensor& x = c.t(0);
       at::Tensor& m = c.t(1);
       x.masked_fill_(m, c.scalar(2));
       return c.info[0];
     }},
    {"where", [](Ctx& c) -> Napi::Value {  // (cond, a, b): a and b tensors or scalars
       at::Tensor& cond = c.t(0);
       bool ta = c.isTensor(1), tb = c.isTensor(2);
       if (ta && tb) { at::Tensor& a = c.t(1); return c.wrap(at::where(cond, a, c.t(2))); }
       if (ta) { at::Tensor& a = c.t(1); return c.wrap(at::where(cond, a, c.scalar(2))); }
       if (tb) { at::Scalar a = c.scalar(1); return c.wrap(at::where(cond, a, c.t(2))); }
       return c.wrap(at::where(cond, c.scalar(1), c.scalar(2)));
     }},

    // ---------------------------------------------------------------- joining and splitting
    {"cat", [](Ctx& c) -> Napi::Value { auto ts = c.tensors(0); return c.wrap(at::cat(ts, c.i64(1, 0))); }},
    {"stack", [](Ctx& c) -> Napi::Value { auto ts = c.tensors(0); return c.wrap(at::stack(ts, c.i64(1, 0))); }},
    {"split", [](Ctx& c) -> Napi::Value {  // (t, size | sizes[], dim)
       at::Tensor& x = c.t(0);
       int64_t d = c.i64(2, 0);
       if (c.info[1].IsArray()) return c.wrapList(at::split_with_sizes(x, c.ints(1), d));
       int64_t size = c.i64(1);
       if (size < 1) c.argFail(1, "split size must be >= 1");
       return c.wrapList(at::split(x, size, d));
     }},
    {"chunk", [](Ctx& c) -> Napi::Value {
       at::Tensor& x = c.t(0);
       int64_t n = c.i64(1);
       if (n < 1) c.argFail(1, "chunk count must be >= 1");
       return c.wrapList(at::chunk(x, n, c.i64(2, 0)));
     }},
    {"unbind", [](Ctx& c) -> Napi::Value { at::Tensor& x = c.t(0); return c.wrapList(at::unbind(x, c.i64(1, 0))); }},
};

#undef VIEW
}  // namespace

const std::vector<OpDef>& shapeOps() { return kOps; }

}  // namespace pt
