#!/usr/bin/python3
# -----------------------------------------------------------------------------
# generate_fixtures.py: PyTorch reference for the C# ONNX graph builders.
#
# What it is
#   An independent, from-the-semantics PyTorch re-implementation of the blocks
#   the ELITE port builds as ONNX graphs in C#: HF CLIP (text and vision),
#   the ELITE global/local mappers, the SD v1.x UNet blocks (diffusers 0.11.1
#   ResnetBlock2D, Transformer2DModel with ELITE's modified cross-attention,
#   Downsample2D, Upsample2D, timestep embedding) and the SD VAE blocks
#   (ResnetBlock2D without temb, AttentionBlock). Sizes are tiny; the weights
#   are random but non-trivial. It does NOT import transformers or diffusers,
#   and it is not copied from them: every forward below is written out from
#   the library semantics described in shared/design/elite-spec.md (sections
#   2, 3 and 6) and shared/reference/README.md.
#
# What it writes (see README.md next to this file for the table)
#   parity/{block}.safetensors   one file per block:
#       weights    under the module-relative PyTorch state_dict names,
#                  in PyTorch layouts (Linear [out,in], Conv2d [out,in,kh,kw]);
#       inputs     as  input.<name>;
#       outputs    as  output.<name>;
#       config     as strings in __metadata__.
#   checkpoints/mapper-f32.pt, mapper-f16.pt, views.pt   torch.save zip files
#       for the C# .pt loader tests;
#   checkpoints/expected.safetensors   every tensor of those .pt files as f32,
#       under "{file stem}/{key}".
#
# How to run (from the repository root; Debian's python3-torch serves
# /usr/bin/python3, not the pyenv python3 that may come first on PATH):
#       apt-get install -y python3-torch python3-numpy
#       /usr/bin/python3 tests/Elite.ModelBuilder.Tests/Fixtures/generate_fixtures.py
#   Deterministic: CPU, float32, torch.manual_seed(0) before every fixture;
#   re-running reproduces byte-identical safetensors files.
#
# The C# test suite needs NO torch and NO Python: it only reads the committed
# files under parity/ and checkpoints/. Re-run this script only to change or
# add fixtures, and commit the regenerated files with it.
# -----------------------------------------------------------------------------

import collections
import copy
import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
PARITY_DIR = os.path.join(HERE, "parity")
CKPT_DIR = os.path.join(HERE, "checkpoints")

MAX_FILE_BYTES = 1_000_000
MAX_TOTAL_BYTES = 3_000_000

torch.set_default_dtype(torch.float32)
torch.set_num_threads(1)  # single thread: reproducible reductions, and the machine is shared


# =============================================================================
# safetensors, written and read by hand (no safetensors package here)
# =============================================================================

_ST_DTYPES = {
    torch.float32: ("F32", "<f4"),
    torch.int64: ("I64", "<i8"),
    torch.float16: ("F16", "<f2"),
}
_ST_NP = {code: np_dt for (code, np_dt) in _ST_DTYPES.values()}


def write_safetensors(path, tensors, metadata):
    """8-byte LE header length N, N bytes of JSON (space-padded to a multiple
    of 8), then the raw little-endian data; offsets relative to the data start.
    Tensors are laid out in ordinal name order; __metadata__ comes first."""
    for k, v in metadata.items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise TypeError(f"metadata must be str->str: {k!r}: {v!r}")
    header = collections.OrderedDict()
    header["__metadata__"] = collections.OrderedDict(sorted(metadata.items()))
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        if t.dtype not in _ST_DTYPES:
            raise TypeError(f"{name}: unsupported dtype {t.dtype}")
        code, np_dt = _ST_DTYPES[t.dtype]
        raw = np.ascontiguousarray(t.numpy()).astype(np.dtype(np_dt), copy=False).tobytes()
        header[name] = collections.OrderedDict(
            [("dtype", code), ("shape", list(t.shape)), ("data_offsets", [offset, offset + len(raw)])])
        blobs.append(raw)
        offset += len(raw)
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hjson += b" " * ((-len(hjson)) % 8)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for raw in blobs:
            f.write(raw)


def read_safetensors(path):
    """Independent reader: returns (dict name -> tensor, metadata dict)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    assert n % 8 == 0, f"{path}: header length {n} not a multiple of 8"
    header = json.loads(data[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {})
    base = 8 + n
    out = {}
    spans = []
    for name, info in header.items():
        np_dt = np.dtype(_ST_NP[info["dtype"]])
        shape = info["shape"]
        b, e = info["data_offsets"]
        count = int(np.prod(shape)) if shape else 1
        assert e - b == count * np_dt.itemsize, f"{path}:{name}: offsets do not match shape"
        arr = np.frombuffer(data, dtype=np_dt, count=count, offset=base + b).reshape(shape)
        out[name] = torch.from_numpy(arr.astype(arr.dtype.newbyteorder("="), copy=True))
        spans.append((b, e))
    spans.sort()
    pos = 0
    for b, e in spans:  # the data section is covered exactly, no gaps or overlaps
        assert b == pos, f"{path}: gap/overlap at {b} (expected {pos})"
        pos = e
    assert base + pos == len(data), f"{path}: trailing bytes"
    return out, meta


WRITTEN = []  # (path, tensors, metadata) for the round-trip check and the summary


def save_fixture(path, tensors, metadata):
    write_safetensors(path, tensors, metadata)
    WRITTEN.append((path, {k: v.detach().clone() for k, v in tensors.items()}, dict(metadata)))


def roundtrip_check():
    for path, tensors, metadata in WRITTEN:
        back, meta = read_safetensors(path)
        assert meta == metadata, f"{path}: metadata differs"
        assert set(back) == set(tensors), f"{path}: names differ"
        for k, v in tensors.items():
            w = back[k]
            assert w.dtype == v.dtype and tuple(w.shape) == tuple(v.shape), f"{path}:{k}: dtype/shape"
            assert torch.equal(w, v), f"{path}:{k}: values differ after round trip"


# =============================================================================
# initialisation
# =============================================================================

@torch.no_grad()
def init_params(module):
    """Non-trivial random weights, in named_modules order:
    LayerNorm/GroupNorm weight 1+0.1*randn, bias 0.1*randn;
    Linear/Conv2d weight randn/sqrt(fan_in), bias 0.1*randn;
    Embedding and bare parameters (CLIP class_embedding) randn."""
    done = set()
    for _, m in module.named_modules():
        if isinstance(m, (nn.LayerNorm, nn.GroupNorm)):
            m.weight.copy_(1.0 + 0.1 * torch.randn(m.weight.shape))
            m.bias.copy_(0.1 * torch.randn(m.bias.shape))
            done.update((id(m.weight), id(m.bias)))
        elif isinstance(m, (nn.Linear, nn.Conv2d)):
            fan_in = m.weight[0].numel()
            m.weight.copy_(torch.randn(m.weight.shape) / math.sqrt(fan_in))
            done.add(id(m.weight))
            if m.bias is not None:
                m.bias.copy_(0.1 * torch.randn(m.bias.shape))
                done.add(id(m.bias))
        elif isinstance(m, nn.Embedding):
            m.weight.copy_(torch.randn(m.weight.shape))
            done.add(id(m.weight))
    for _, p in module.named_parameters():
        if id(p) not in done:
            p.copy_(torch.randn(p.shape))
            done.add(id(p))


def state(module, prefix=""):
    return {prefix + k: v.detach().clone() for k, v in module.state_dict().items()}


# =============================================================================
# HF CLIP (transformers 4.26 semantics)
# =============================================================================

def quick_gelu(x):
    return x * torch.sigmoid(1.702 * x)


class CLIPAttention(nn.Module):
    def __init__(self, hidden, heads):
        super().__init__()
        self.heads = heads
        self.head_dim = hidden // heads
        self.scale = self.head_dim ** -0.5
        self.k_proj = nn.Linear(hidden, hidden)
        self.v_proj = nn.Linear(hidden, hidden)
        self.q_proj = nn.Linear(hidden, hidden)
        self.out_proj = nn.Linear(hidden, hidden)

    def forward(self, x, causal):
        b, t, c = x.shape

        def split(y):  # [B,T,C] -> [B,h,T,d]
            return y.view(b, t, self.heads, self.head_dim).transpose(1, 2)

        q = split(self.q_proj(x) * self.scale)
        k = split(self.k_proj(x))
        v = split(self.v_proj(x))
        w = q @ k.transpose(-1, -2)  # [B,h,T,T]
        if causal:
            mask = torch.full((t, t), torch.finfo(torch.float32).min).triu(1)  # 0 on/below diagonal
            w = w + mask
        p = torch.softmax(w, dim=-1)
        o = (p @ v).transpose(1, 2).reshape(b, t, c)
        return self.out_proj(o)


class CLIPMLP(nn.Module):
    def __init__(self, hidden, inter):
        super().__init__()
        self.fc1 = nn.Linear(hidden, inter)
        self.fc2 = nn.Linear(inter, hidden)

    def forward(self, x):
        return self.fc2(quick_gelu(self.fc1(x)))


class CLIPEncoderLayer(nn.Module):
    def __init__(self, hidden, heads, inter, eps):
        super().__init__()
        self.self_attn = CLIPAttention(hidden, heads)
        self.layer_norm1 = nn.LayerNorm(hidden, eps=eps)
        self.mlp = CLIPMLP(hidden, inter)
        self.layer_norm2 = nn.LayerNorm(hidden, eps=eps)

    def forward(self, x, causal):
        h = x + self.self_attn(self.layer_norm1(x), causal)
        return h + self.mlp(self.layer_norm2(h))


class CLIPEncoder(nn.Module):
    def __init__(self, n, hidden, heads, inter, eps):
        super().__init__()
        self.layers = nn.ModuleList([CLIPEncoderLayer(hidden, heads, inter, eps) for _ in range(n)])

    def forward(self, x, causal):
        """Returns HF-style hidden_states: hs[0] = input, hs[k] = output of layer k."""
        hs = [x]
        for layer in self.layers:
            x = layer(x, causal)
            hs.append(x)
        return hs


class CLIPTextEmbeddings(nn.Module):
    # HF 4.26 also registers a persistent `position_ids` buffer (arange); it is
    # deliberately not stored in the fixtures (the loader must not need it).
    def __init__(self, vocab, hidden, max_pos):
        super().__init__()
        self.token_embedding = nn.Embedding(vocab, hidden)
        self.position_embedding = nn.Embedding(max_pos, hidden)


class CLIPTextTransformerElite(nn.Module):
    def __init__(self, vocab, hidden, heads, inter, layers, max_pos, eps):
        super().__init__()
        self.embeddings = CLIPTextEmbeddings(vocab, hidden, max_pos)
        self.encoder = CLIPEncoder(layers, hidden, heads, inter, eps)
        self.final_layer_norm = nn.LayerNorm(hidden, eps=eps)

    def forward(self, input_ids, inj_embedding, inj_index):
        """ELITE inj_forward_text (spec 2.3). inj_index < 0: no injection for that row."""
        tok = self.embeddings.token_embedding(input_ids)  # [B,T,C]
        new = tok.clone()
        seq = input_ids.shape[1]
        length = inj_embedding.shape[1]  # L
        for b in range(input_ids.shape[0]):
            idx = int(inj_index[b])
            if idx < 0:
                continue
            # tokens after the placeholder shift right by L-1, the tail is truncated
            n_tail = seq - (idx + length)
            if n_tail > 0:
                new[b, idx + length:] = tok[b, idx + 1: idx + 1 + n_tail]
            new[b, idx: idx + length] = inj_embedding[b]
        pos = self.embeddings.position_embedding(torch.arange(seq))[None]
        h = new + pos
        h = self.encoder(h, causal=True)[-1]
        return self.final_layer_norm(h)


class CLIPVisionEmbeddings(nn.Module):
    def __init__(self, hidden, image, patch):
        super().__init__()
        self.patch = patch
        self.class_embedding = nn.Parameter(torch.zeros(hidden))
        self.patch_embedding = nn.Conv2d(3, hidden, kernel_size=patch, stride=patch, bias=False)
        self.position_embedding = nn.Embedding((image // patch) ** 2 + 1, hidden)

    def forward(self, pixel_values):
        b = pixel_values.shape[0]
        p = self.patch_embedding(pixel_values)  # [B,C,gh,gw]
        p = p.flatten(2).transpose(1, 2)  # [B,gh*gw,C], row-major patches
        cls = self.class_embedding.view(1, 1, -1).expand(b, 1, -1)
        x = torch.cat([cls, p], dim=1)
        return x + self.position_embedding(torch.arange(x.shape[1]))[None]


class CLIPVisionTransformerElite(nn.Module):
    def __init__(self, hidden, heads, inter, layers, image, patch, eps):
        super().__init__()
        self.embeddings = CLIPVisionEmbeddings(hidden, image, patch)
        self.pre_layrnorm = nn.LayerNorm(hidden, eps=eps)
        self.encoder = CLIPEncoder(layers, hidden, heads, inter, eps)
        # post_layernorm exists in HF but ELITE never uses it: not built, not stored.

    def forward(self, pixel_values):
        hs = self.encoder(self.pre_layrnorm(self.embeddings(pixel_values)), causal=False)
        last = hs[-1]  # last_hidden_state, BEFORE post_layernorm
        return torch.stack([last, hs[4], hs[8], hs[12], hs[16]], dim=0)


# =============================================================================
# ELITE mappers
# =============================================================================

def mapper_mlp(din, dhid, dout):
    return nn.Sequential(
        nn.Linear(din, dhid), nn.LayerNorm(dhid), nn.LeakyReLU(0.01),
        nn.Linear(dhid, dhid), nn.LayerNorm(dhid), nn.LeakyReLU(0.01),
        nn.Linear(dhid, dout))


class EliteMapper(nn.Module):
    """ELITE Mapper / MapperLocal: the same 10 MLPs, registered in the order
    mapping_0, mapping_patch_0, mapping_1, ... (as in the official code)."""

    def __init__(self, din, dout, dhid=None):
        super().__init__()
        dhid = dhid or din
        for i in range(5):
            setattr(self, f"mapping_{i}", mapper_mlp(din, dhid, dout))
            setattr(self, f"mapping_patch_{i}", mapper_mlp(din, dhid, dout))

    def global_forward(self, feats):  # feats [5,B,T,C] -> words [B,5,out]
        ws = []
        for i in range(5):
            e = feats[i]
            w = getattr(self, f"mapping_{i}")(e[:, :1]) \
                + getattr(self, f"mapping_patch_{i}")(e[:, 1:]).mean(dim=1, keepdim=True)
            ws.append(w)
        return torch.cat(ws, dim=1)

    def local_forward(self, feats, mask):  # -> [B,T-1,out]
        es = []
        for i in range(5):
            e = feats[i]
            es.append(getattr(self, f"mapping_{i}")(e[:, :1]) + getattr(self, f"mapping_patch_{i}")(e[:, 1:]))
        return torch.stack(es, dim=0).mean(dim=0) * mask


# =============================================================================
# diffusers 0.11.1 blocks
# =============================================================================

class ResnetBlock2D(nn.Module):
    def __init__(self, cin, cout, temb_channels, groups, eps):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin, eps=eps, affine=True)
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=1, padding=1)
        self.time_emb_proj = nn.Linear(temb_channels, cout) if temb_channels else None
        self.norm2 = nn.GroupNorm(groups, cout, eps=eps, affine=True)
        self.conv2 = nn.Conv2d(cout, cout, 3, stride=1, padding=1)
        self.conv_shortcut = nn.Conv2d(cin, cout, 1, stride=1, padding=0) if cin != cout else None

    def forward(self, x, temb=None):
        h = self.conv1(F.silu(self.norm1(x)))
        if self.time_emb_proj is not None:
            h = h + self.time_emb_proj(F.silu(temb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        sc = self.conv_shortcut(x) if self.conv_shortcut is not None else x
        return sc + h  # output_scale_factor 1.0


class Downsample2D(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, stride=2, padding=1)

    def forward(self, x):
        return self.conv(x)


class Upsample2D(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


def timestep_sinusoid(t, dim, flip_sin_to_cos=True, downscale_freq_shift=0.0, max_period=10000.0):
    half = dim // 2
    exponent = -math.log(max_period) * torch.arange(0, half, dtype=torch.float32)
    exponent = exponent / (half - downscale_freq_shift)
    emb = t[:, None].float() * torch.exp(exponent)[None, :]
    emb = torch.cat([torch.sin(emb), torch.cos(emb)], dim=-1)
    if flip_sin_to_cos:
        emb = torch.cat([emb[:, half:], emb[:, :half]], dim=-1)
    return emb


class TimestepEmbedding(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.linear_1 = nn.Linear(cin, cout)
        self.linear_2 = nn.Linear(cout, cout)

    def forward(self, x):
        return self.linear_2(F.silu(self.linear_1(x)))


class VaeAttentionBlock(nn.Module):
    """diffusers 0.11 AttentionBlock (deprecated names, as stored in SD v1-4's VAE)."""

    def __init__(self, c, groups, eps):
        super().__init__()
        self.c = c
        self.group_norm = nn.GroupNorm(groups, c, eps=eps, affine=True)
        self.query = nn.Linear(c, c)
        self.key = nn.Linear(c, c)
        self.value = nn.Linear(c, c)
        self.proj_attn = nn.Linear(c, c)

    def forward(self, x):
        b, c, hh, ww = x.shape
        h = self.group_norm(x).view(b, c, hh * ww).transpose(1, 2)  # [B,HW,C]
        q, k, v = self.query(h), self.key(h), self.value(h)
        p = torch.softmax((q @ k.transpose(-1, -2)) / math.sqrt(c), dim=-1)  # one head
        o = self.proj_attn(p @ v)
        return o.transpose(1, 2).reshape(b, c, hh, ww) + x


# ---- Transformer2DModel with one BasicTransformerBlock ----------------------

def heads_split(y, heads):  # [B,N,C] -> [B,h,N,d]  (diffusers heads_to_batch is batch-major)
    b, n, c = y.shape
    return y.view(b, n, heads, c // heads).permute(0, 2, 1, 3)


def heads_merge(y):  # [B,h,N,d] -> [B,N,h*d]
    b, h, n, d = y.shape
    return y.permute(0, 2, 1, 3).reshape(b, n, h * d)


class CrossAttention(nn.Module):
    def __init__(self, query_dim, heads, dim_head, cross_dim=None, with_kv=True):
        super().__init__()
        inner = heads * dim_head
        self.heads = heads
        self.scale = dim_head ** -0.5
        self.to_q = nn.Linear(query_dim, inner, bias=False)
        if with_kv:
            self.to_k = nn.Linear(cross_dim or query_dim, inner, bias=False)
            self.to_v = nn.Linear(cross_dim or query_dim, inner, bias=False)
        self.to_out = nn.ModuleList([nn.Linear(inner, query_dim)])  # to_out.1 (Dropout) stores nothing

    def plain(self, x, ctx=None, to_k=None, to_v=None):
        ctx = x if ctx is None else ctx
        to_k = to_k or self.to_k
        to_v = to_v or self.to_v
        q = heads_split(self.to_q(x), self.heads)
        k = heads_split(to_k(ctx), self.heads)
        v = heads_split(to_v(ctx), self.heads)
        p = torch.softmax(self.scale * (q @ k.transpose(-1, -2)), dim=-1)
        return self.to_out[0](heads_merge(p @ v))

    def elite(self, x, E, Floc, local_index, llambda, kg, vg, kl, vl):
        """ELITE inj_forward_crossattention (spec 3.3), with the PER-SAMPLE max."""
        b = x.shape[0]
        q = heads_split(self.to_q(x), self.heads)  # [B,h,N,d]
        Kg = heads_split(kg(E), self.heads)
        Vg = heads_split(vg(E), self.heads)
        Ag = torch.softmax(self.scale * (q @ Kg.transpose(-1, -2)), dim=-1)  # [B,h,N,S]
        O = Ag @ Vg
        Kl = heads_split(kl(Floc), self.heads)
        Vl = heads_split(vl(Floc), self.heads)
        Al = torch.softmax(self.scale * (q @ Kl.transpose(-1, -2)), dim=-1)  # [B,h,N,P]
        m = torch.stack([Ag[i, :, :, int(local_index[i])] for i in range(b)], dim=0)  # [B,h,N]
        m = m / m.amax(dim=(1, 2), keepdim=True)  # max over this sample's heads and queries
        O = O + llambda.view(b, 1, 1, 1) * ((Al * m[..., None]) @ Vl)
        return self.to_out[0](heads_merge(O))


class GEGLU(nn.Module):
    def __init__(self, din, dout):
        super().__init__()
        self.proj = nn.Linear(din, dout * 2)

    def forward(self, x):
        value, gate = self.proj(x).chunk(2, dim=-1)
        return value * F.gelu(gate)  # exact (erf) gelu


class FeedForward(nn.Module):
    def __init__(self, dim, mult=4):
        super().__init__()
        # net.0 = GEGLU, net.1 = Dropout (no weights), net.2 = Linear
        self.net = nn.ModuleList([GEGLU(dim, dim * mult), nn.Dropout(0.0), nn.Linear(dim * mult, dim)])

    def forward(self, x):
        return self.net[2](self.net[0](x))


class BasicTransformerBlock(nn.Module):
    def __init__(self, dim, heads, dim_head, cross_dim, attn2_kv):
        super().__init__()
        self.attn1 = CrossAttention(dim, heads, dim_head)
        self.ff = FeedForward(dim)
        self.attn2 = CrossAttention(dim, heads, dim_head, cross_dim, with_kv=attn2_kv)
        self.norm1 = nn.LayerNorm(dim)  # eps 1e-5
        self.norm2 = nn.LayerNorm(dim)
        self.norm3 = nn.LayerNorm(dim)

    def forward(self, h, attn2_fn):
        h = self.attn1.plain(self.norm1(h)) + h
        h = attn2_fn(self.attn2, self.norm2(h)) + h
        return self.ff(self.norm3(h)) + h


class Transformer2DModel(nn.Module):
    def __init__(self, c, heads, cross_dim, groups, attn2_kv):
        super().__init__()
        self.norm = nn.GroupNorm(groups, c, eps=1e-6, affine=True)
        self.proj_in = nn.Conv2d(c, c, 1)  # use_linear_projection = False (SD 1.x)
        self.transformer_blocks = nn.ModuleList(
            [BasicTransformerBlock(c, heads, c // heads, cross_dim, attn2_kv)])
        self.proj_out = nn.Conv2d(c, c, 1)

    def forward(self, x, attn2_fn):
        b, c, hh, ww = x.shape
        res = x
        h = self.proj_in(self.norm(x))
        h = h.permute(0, 2, 3, 1).reshape(b, hh * ww, c)
        for blk in self.transformer_blocks:
            h = blk(h, attn2_fn)
        h = h.reshape(b, hh, ww, c).permute(0, 3, 1, 2).contiguous()
        return self.proj_out(h) + res


# =============================================================================
# fixtures
# =============================================================================

def fx(name):
    return os.path.join(PARITY_DIR, f"{name}.safetensors")


def meta(block, source, **cfg):
    m = {"block": block, "source": source, "generator": "generate_fixtures.py",
         "torch": torch.__version__.split("+")[0]}
    m.update({k: str(v) for k, v in cfg.items()})
    return m


def with_io(weights, inputs, outputs):
    t = dict(weights)
    for k, v in inputs.items():
        t[f"input.{k}"] = v.detach().clone()
    for k, v in outputs.items():
        t[f"output.{k}"] = v.detach().clone()
    return t


@torch.no_grad()
def fixture_clip_layer(name, causal, seq):
    torch.manual_seed(0)
    layer = CLIPEncoderLayer(16, 2, 64, 1e-5)
    init_params(layer)
    x = torch.randn(2, seq, 16)
    y = layer(x, causal)
    save_fixture(fx(name), with_io(state(layer), {"hidden_states": x}, {"hidden_states": y}),
                 meta(name, "transformers CLIPEncoderLayer (pre-LN, quick_gelu)",
                      hidden_size=16, heads=2, head_dim=8, intermediate_size=64, hidden_act="quick_gelu",
                      eps=1e-5, causal="true" if causal else "false",
                      causal_mask="additive finfo(float32).min strictly above the diagonal" if causal else "none"))


@torch.no_grad()
def fixture_clip_text_model():
    torch.manual_seed(0)
    vocab, hidden, heads, inter, layers, max_pos, eps = 100, 16, 2, 64, 2, 77, 1e-5
    model = CLIPTextTransformerElite(vocab, hidden, heads, inter, layers, max_pos, eps)
    init_params(model)
    bos, pad = 98, 99
    rows = [[bos, 5, 17, 3, 42, 11], [bos, 7, 23], [bos]]
    ids = torch.full((3, max_pos), pad, dtype=torch.int64)
    for r, toks in enumerate(rows):
        ids[r, :len(toks)] = torch.tensor(toks, dtype=torch.int64)
    inj = torch.randn(3, 1, hidden)
    inj_index = torch.tensor([3, 1, -1], dtype=torch.int64)
    y = model(ids, inj, inj_index)

    # With L = 1 ELITE's shift is a pure replacement: check against that reading.
    tok = model.embeddings.token_embedding(ids)
    for b in range(3):
        if inj_index[b] >= 0:
            tok[b, inj_index[b]] = inj[b, 0]
    h = tok + model.embeddings.position_embedding.weight[None]
    for layer in model.encoder.layers:
        h = layer(h, True)
    assert torch.allclose(model.final_layer_norm(h), y, atol=0, rtol=0)

    save_fixture(fx("clip_text_model"),
                 with_io(state(model), {"input_ids": ids, "inj_embedding": inj, "inj_index": inj_index},
                         {"last_hidden_state": y}),
                 meta("clip_text_model", "transformers CLIPTextTransformer + ELITE inj_forward_text (L=1)",
                      vocab_size=vocab, hidden_size=hidden, heads=heads, head_dim=hidden // heads,
                      intermediate_size=inter, num_layers=layers, max_position_embeddings=max_pos,
                      hidden_act="quick_gelu", eps=eps, causal="true", inj_length=1, bos_id=bos, pad_id=pad,
                      inj_index_none="-1"))


@torch.no_grad()
def fixture_clip_vision_model():
    torch.manual_seed(0)
    hidden, heads, inter, layers, image, patch, eps = 16, 2, 64, 24, 28, 14, 1e-5
    model = CLIPVisionTransformerElite(hidden, heads, inter, layers, image, patch, eps)
    init_params(model)
    px = torch.randn(2, 3, image, image)
    feats = model(px)
    assert tuple(feats.shape) == (5, 2, 5, 16)
    save_fixture(fx("clip_vision_model"),
                 with_io(state(model), {"pixel_values": px}, {"feats": feats}),
                 meta("clip_vision_model", "transformers CLIPVisionTransformer, ELITE feature selection",
                      hidden_size=hidden, heads=heads, head_dim=hidden // heads, intermediate_size=inter,
                      num_layers=layers, image_size=image, patch_size=patch, num_positions=(image // patch) ** 2 + 1,
                      hidden_act="quick_gelu", eps=eps, causal="false",
                      feats_order="hs[24] (last_hidden_state, no post_layernorm), hs[4], hs[8], hs[12], hs[16]"))


def mapper_inputs():
    return torch.randn(5, 2, 5, 16)


@torch.no_grad()
def fixture_global_mapper():
    torch.manual_seed(0)
    m = EliteMapper(16, 12)
    init_params(m)
    feats = mapper_inputs()
    words = m.global_forward(feats)
    assert tuple(words.shape) == (2, 5, 12)
    save_fixture(fx("global_mapper"), with_io(state(m), {"feats": feats}, {"words": words}),
                 meta("global_mapper", "ELITE train_global.py Mapper",
                      input_dim=16, hidden_dim=16, output_dim=12, num_features=5, leaky_relu_slope=0.01,
                      layer_norm_eps=1e-5, patch_reduction="mean over patch tokens after the MLP"))


@torch.no_grad()
def fixture_local_mapper():
    torch.manual_seed(0)
    m = EliteMapper(16, 12)
    init_params(m)
    feats = mapper_inputs()
    mask = torch.tensor([[1.0, 0.0, 1.0, 1.0], [0.0, 0.0, 1.0, 0.0]]).view(2, 4, 1)
    out = m.local_forward(feats, mask)
    assert tuple(out.shape) == (2, 4, 12)
    assert torch.all(out[1, 0] == 0) and torch.all(out[0, 1] == 0)
    save_fixture(fx("local_mapper"),
                 with_io(state(m), {"feats": feats, "mask16": mask}, {"local_embeds": out}),
                 meta("local_mapper", "ELITE train_local.py MapperLocal, then * mask16",
                      input_dim=16, hidden_dim=16, output_dim=12, num_features=5, leaky_relu_slope=0.01,
                      layer_norm_eps=1e-5, layer_reduction="mean over the 5 features; no token mean"))


@torch.no_grad()
def fixture_resnet_block():
    torch.manual_seed(0)
    blk = ResnetBlock2D(16, 24, 32, 4, 1e-5)
    init_params(blk)
    x = torch.randn(2, 16, 8, 8)
    temb = torch.randn(2, 32)
    y = blk(x, temb)
    save_fixture(fx("resnet_block"), with_io(state(blk), {"hidden_states": x, "temb": temb}, {"hidden_states": y}),
                 meta("resnet_block", "diffusers 0.11.1 ResnetBlock2D (UNet)",
                      in_channels=16, out_channels=24, temb_channels=32, groups=4, eps=1e-5,
                      nonlinearity="silu", output_scale_factor=1.0, conv_shortcut="1x1 with bias"))


def transformer_cfg():
    return dict(channels=16, heads=2, head_dim=8, cross_attention_dim=12, groups=4, group_norm_eps=1e-6,
                layer_norm_eps=1e-5, use_linear_projection="false", ff="GEGLU (value=first half, gate=second half, "
                "exact erf gelu), inner 4*C")


@torch.no_grad()
def fixture_transformer_elite():
    torch.manual_seed(0)
    C, heads, cross = 16, 2, 12
    tr = Transformer2DModel(C, heads, cross, 4, attn2_kv=False)
    kv = nn.ModuleDict({
        "kg": nn.Linear(cross, C, bias=False), "vg": nn.Linear(cross, C, bias=False),
        "kl": nn.Linear(cross, C, bias=False), "vl": nn.Linear(cross, C, bias=False)})
    init_params(tr)
    init_params(kv)
    x = torch.randn(2, C, 4, 4)
    E = torch.randn(2, 7, cross)
    Floc = torch.randn(2, 5, cross)
    Floc[1, 1] = 0.0  # masked-out patches are exact zero vectors
    Floc[1, 3] = 0.0
    idx = torch.tensor([3, 5], dtype=torch.int64)
    lam = torch.tensor([0.8, 0.5])

    def run(x_, E_, F_, idx_, lam_):
        return tr(x_, lambda attn, h: attn.elite(h, E_, F_, idx_, lam_, kv["kg"], kv["vg"], kv["kl"], kv["vl"]))

    y = run(x, E, Floc, idx, lam)
    lam0 = torch.zeros(2)
    y0 = run(x, E, Floc, idx, lam0)

    # (1) per-sample max: the batched result equals each sample run alone.
    for b in range(2):
        yb = run(x[b:b + 1], E[b:b + 1], Floc[b:b + 1], idx[b:b + 1], lam[b:b + 1])
        assert torch.allclose(yb, y[b:b + 1], atol=1e-6, rtol=0), "batch != singles"
    # (2) the local branch really contributes
    assert (y - y0).abs().max() > 1e-3
    # (3) lambda 0 == plain SD Transformer2DModel whose attn2.to_k/to_v are the global K/V.
    plain = Transformer2DModel(C, heads, cross, 4, attn2_kv=True)
    sd = state(tr)
    sd["transformer_blocks.0.attn2.to_k.weight"] = kv["kg"].weight.clone()
    sd["transformer_blocks.0.attn2.to_v.weight"] = kv["vg"].weight.clone()
    plain.load_state_dict(sd, strict=True)
    yp = plain(x, lambda attn, h: attn.plain(h, E))
    assert torch.allclose(y0, yp, atol=1e-6, rtol=0), f"lambda0 != plain SD: {(y0 - yp).abs().max()}"
    # (4) zero local embeddings == lambda 0 as well
    yz = run(x, E, torch.zeros_like(Floc), idx, lam)
    # (zero LOCAL gives zero Kl and Vl: Al is uniform and the local term is exactly 0)
    assert torch.allclose(yz, yp, atol=1e-6, rtol=0), "zero local != plain SD"

    weights = state(tr)
    assert not any(".attn2.to_k" in k or ".attn2.to_v" in k for k in weights)
    weights["global_mapper:transformer_blocks_0_attn2_to_k.weight"] = kv["kg"].weight.detach().clone()
    weights["global_mapper:transformer_blocks_0_attn2_to_v.weight"] = kv["vg"].weight.detach().clone()
    weights["local_mapper:transformer_blocks_0_attn2_to_k.weight"] = kv["kl"].weight.detach().clone()
    weights["local_mapper:transformer_blocks_0_attn2_to_v.weight"] = kv["vl"].weight.detach().clone()
    inputs = {"hidden_states": x, "encoder_hidden_states": E, "local_embeds": Floc, "local_index": idx}
    common = dict(transformer_cfg(), attn2="ELITE global+local cross-attention, per-sample max over heads and queries",
                  elite_kv_prefixes="global_mapper:, local_mapper:")
    save_fixture(fx("transformer_elite"), with_io(weights, dict(inputs, llambda=lam), {"hidden_states": y}),
                 meta("transformer_elite", "diffusers 0.11.1 Transformer2DModel + ELITE inj_forward_crossattention",
                      **common))
    save_fixture(fx("transformer_elite_lambda0"), with_io(weights, dict(inputs, llambda=lam0), {"hidden_states": y0}),
                 meta("transformer_elite_lambda0",
                      "as transformer_elite with llambda 0; equals plain SD Transformer2DModel using the global K/V",
                      **common))


@torch.no_grad()
def fixture_downsample():
    torch.manual_seed(0)
    m = Downsample2D(16)
    init_params(m)
    x = torch.randn(2, 16, 8, 8)
    y = m(x)
    assert tuple(y.shape) == (2, 16, 4, 4)
    save_fixture(fx("downsample"), with_io(state(m), {"hidden_states": x}, {"hidden_states": y}),
                 meta("downsample", "diffusers 0.11.1 Downsample2D (UNet, use_conv)",
                      channels=16, kernel=3, stride=2, padding=1))


@torch.no_grad()
def fixture_upsample():
    torch.manual_seed(0)
    m = Upsample2D(16)
    init_params(m)
    x = torch.randn(2, 16, 4, 4)
    y = m(x)
    assert tuple(y.shape) == (2, 16, 8, 8)
    save_fixture(fx("upsample"), with_io(state(m), {"hidden_states": x}, {"hidden_states": y}),
                 meta("upsample", "diffusers 0.11.1 Upsample2D (use_conv)",
                      channels=16, interpolate="nearest x2", kernel=3, padding=1))


@torch.no_grad()
def fixture_vae_attention():
    torch.manual_seed(0)
    m = VaeAttentionBlock(16, 4, 1e-6)
    init_params(m)
    x = torch.randn(2, 16, 4, 4)
    y = m(x)
    save_fixture(fx("vae_attention"), with_io(state(m), {"hidden_states": x}, {"hidden_states": y}),
                 meta("vae_attention", "diffusers 0.11.1 AttentionBlock (SD v1-4 VAE names)",
                      channels=16, heads=1, groups=4, eps=1e-6, scale="1/sqrt(C)", rescale_output_factor=1.0))


@torch.no_grad()
def fixture_timestep_embedding():
    torch.manual_seed(0)
    m = TimestepEmbedding(32, 64)
    init_params(m)
    t = torch.tensor([999.0, 500.5, 0.0])
    sin = timestep_sinusoid(t, 32, flip_sin_to_cos=True, downscale_freq_shift=0.0)
    # cross-check with a float64 computation: the f32 sinusoid is accurate to ~1e-4 at t=999
    sin64 = timestep_sinusoid(t.double(), 32).double()
    assert (sin.double() - sin64).abs().max() < 2e-4
    y = m(sin)
    save_fixture(fx("timestep_embedding"), with_io(state(m), {"timestep": t}, {"t_emb": sin, "temb": y}),
                 meta("timestep_embedding",
                      "diffusers 0.11.1 get_timestep_embedding + TimestepEmbedding (linear_1, SiLU, linear_2)",
                      embedding_dim=32, flip_sin_to_cos="true", downscale_freq_shift=0, max_period=10000,
                      time_embed_dim=64, t_emb="sinusoid [cos | sin], before linear_1"))


@torch.no_grad()
def fixture_vae_resnet():
    torch.manual_seed(0)
    blk = ResnetBlock2D(16, 8, None, 4, 1e-6)
    init_params(blk)
    x = torch.randn(2, 16, 8, 8)
    y = blk(x)
    assert not any(k.startswith("time_emb_proj") for k in blk.state_dict())
    save_fixture(fx("vae_resnet"), with_io(state(blk), {"hidden_states": x}, {"hidden_states": y}),
                 meta("vae_resnet", "diffusers 0.11.1 ResnetBlock2D (VAE: temb_channels None)",
                      in_channels=16, out_channels=8, temb_channels="none", groups=4, eps=1e-6,
                      nonlinearity="silu", output_scale_factor=1.0, conv_shortcut="1x1 with bias"))


# =============================================================================
# .pt checkpoints for the C# loader
# =============================================================================

KV_KEYS = ["down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k",
           "down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_v"]


@torch.no_grad()
def write_checkpoints():
    os.makedirs(CKPT_DIR, exist_ok=True)
    torch.manual_seed(0)
    # As in ELITE's main(): the K/V Linears are registered inside the Mapper
    # module, after the 10 MLPs, and the file is torch.save(mapper.state_dict()).
    mapper = EliteMapper(16, 12)
    for k in KV_KEYS:
        setattr(mapper, k, nn.Linear(12, 32, bias=False))
    init_params(mapper)

    sd32 = mapper.state_dict()
    expected_keys = [f"{p}_{i}.{j}.{w}" for i in range(5) for p in ("mapping", "mapping_patch")
                     for j in (0, 1, 3, 4, 6) for w in ("weight", "bias")] + [k + ".weight" for k in KV_KEYS]
    assert list(sd32.keys()) == expected_keys, list(sd32.keys())
    sd16 = copy.deepcopy(mapper).half().state_dict()

    torch.manual_seed(1)
    base = torch.randn(8, 3)
    c_src = torch.randn(3, 4)
    views = collections.OrderedDict()
    views["a.weight"] = base[0:4]
    views["b.weight"] = base[4:8]
    views["c.weight"] = c_src.t()
    assert not views["c.weight"].is_contiguous()
    assert views["a.weight"].storage().data_ptr() == views["b.weight"].storage().data_ptr()
    assert views["b.weight"].storage_offset() == 12

    files = collections.OrderedDict([("mapper-f32", sd32), ("mapper-f16", sd16), ("views", views)])
    expected = {}
    for stem, sdict in files.items():
        path = os.path.join(CKPT_DIR, f"{stem}.pt")
        torch.save(sdict, path)  # default: zip format
        back = torch.load(path, map_location="cpu")
        assert list(back.keys()) == list(sdict.keys())
        for k, v in sdict.items():
            assert back[k].dtype == v.dtype and torch.equal(back[k], v), f"{stem}:{k}"
            expected[f"{stem}/{k}"] = v.detach().float().contiguous().clone()
    # the views really are stored as views of one storage
    vb = torch.load(os.path.join(CKPT_DIR, "views.pt"))
    assert vb["a.weight"].storage().data_ptr() == vb["b.weight"].storage().data_ptr()
    assert vb["c.weight"].stride() == (1, 4)
    assert sd16["mapping_0.0.weight"].dtype == torch.float16

    save_fixture(os.path.join(CKPT_DIR, "expected.safetensors"), expected,
                 {"what": "every tensor of mapper-f32.pt, mapper-f16.pt, views.pt as float32, "
                          "named {file stem}/{key}",
                  "generator": "generate_fixtures.py", "torch": torch.__version__.split("+")[0],
                  "mapper-f32": "ELITE Mapper state_dict at tiny size (input 16, output 12) + 2 K/V [32,12]",
                  "mapper-f16": "the same state dict after .half()",
                  "views": "a.weight=base[0:4], b.weight=base[4:8] of one [8,3] storage; c.weight=[3,4].t()"})


# =============================================================================

def main():
    os.makedirs(PARITY_DIR, exist_ok=True)
    fixture_clip_layer("clip_text_layer", causal=True, seq=7)
    fixture_clip_layer("clip_vision_layer", causal=False, seq=5)
    fixture_clip_text_model()
    fixture_clip_vision_model()
    fixture_global_mapper()
    fixture_local_mapper()
    fixture_resnet_block()
    fixture_transformer_elite()
    fixture_downsample()
    fixture_upsample()
    fixture_vae_attention()
    fixture_timestep_embedding()
    fixture_vae_resnet()
    write_checkpoints()

    roundtrip_check()

    total = 0
    print(f"{'file':55s} {'bytes':>8s}  outputs (max |x|)")
    for path, tensors, _ in WRITTEN:
        size = os.path.getsize(path)
        total += size
        assert size < MAX_FILE_BYTES, f"{path} is {size} bytes"
        outs = ", ".join(f"{k[7:]}{list(v.shape)} {v.abs().max().item():.3g}"
                         for k, v in sorted(tensors.items()) if k.startswith("output."))
        print(f"{os.path.relpath(path, HERE):55s} {size:8d}  {outs}")
    for stem in ("mapper-f32", "mapper-f16", "views"):
        p = os.path.join(CKPT_DIR, f"{stem}.pt")
        size = os.path.getsize(p)
        total += size
        print(f"{os.path.relpath(p, HERE):55s} {size:8d}")
    assert total < MAX_TOTAL_BYTES, f"total {total} bytes"
    print(f"total {total} bytes; round trip OK")


if __name__ == "__main__":
    sys.exit(main())
