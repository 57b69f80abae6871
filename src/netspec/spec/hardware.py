"""What this machine's hardware offers a run, read without TensorFlow: the CPU's model and the
flags that decide whether bfloat16 and float16 are native, and whether a GPU is present."""

from __future__ import annotations

import os
import shutil
from functools import cache

# The CPU flags that decide how fast a precision runs (Linux /proc/cpuinfo names).
FLAGS = ("avx512f", "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16")
BF16_FLAGS = ("avx512_bf16", "amx_bf16")


@cache
def cpu() -> dict:
    """{"model": the CPU's name, "flags": the FLAGS it has}; empty where /proc has no cpuinfo."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return {"model": None, "flags": []}
    fields = {}
    for line in lines:
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    present = set(fields.get("flags", "").split())
    return {"model": fields.get("model name"), "flags": [f for f in FLAGS if f in present]}


@cache
def gpu_present() -> bool:
    """An NVIDIA GPU with its driver loaded (what TensorFlow's CUDA build can use)."""
    folder = "/proc/driver/nvidia/gpus"
    return (os.path.isdir(folder) and bool(os.listdir(folder))) or shutil.which(
        "nvidia-smi"
    ) is not None


def precision_note(precision: str, flags=None, gpu: bool | None = None) -> str | None:
    """Why the chosen precision would be slow on a machine with these CPU `flags` and `gpu`
    (by default this one), or None where it is native."""
    flags = cpu()["flags"] if flags is None else flags
    gpu = gpu_present() if gpu is None else gpu
    native_bf16 = gpu or set(BF16_FLAGS) & set(flags)
    if precision == "mixed_bfloat16" and not native_bf16:
        return (
            "this machine's CPU has neither avx512_bf16 nor amx_bf16 and there is no GPU: "
            "bfloat16 is emulated here, usually slower than float32"
        )
    if precision == "mixed_float16" and not gpu:
        return "no GPU here: float16 is meant for GPUs; on a CPU it is emulated and slow"
    return None
