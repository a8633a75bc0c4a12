"""Generate the .npy fixtures in tests/fixtures/npy/ with numpy: python3 tests/gen/gen_npy_fixtures.py"""
import os
import numpy as np
from numpy.lib import format as npformat

out = os.path.join(os.path.dirname(__file__), "..", "fixtures", "npy")
os.makedirs(out, exist_ok=True)
SHAPES = {0: (), 1: (5,), 2: (2, 3), 3: (2, 3, 4)}


def values(dt, shape):
    n = int(np.prod(shape))
    i = np.arange(n)
    if dt in ("float64", "float32"):
        v = (i * 0.5 - 3.0).astype(dt)
    elif dt == "bool":
        v = i % 3 == 0
    else:
        v = (i * 3 - 10).astype(dt)
    return v.reshape(shape)


for dt in ["float64", "float32", "int64", "int32", "int16", "int8", "uint64", "uint32", "uint16", "uint8", "bool"]:
    for rank, shape in SHAPES.items():
        np.save(os.path.join(out, f"{dt}_{rank}d.npy"), values(dt, shape))

# Fortran order, big endian, format 2.0
np.save(os.path.join(out, "fortran_f64_2d.npy"), np.asfortranarray(values("float64", (2, 3))))
np.save(os.path.join(out, "fortran_i16_3d.npy"), np.asfortranarray(values("int16", (2, 3, 4))))
np.save(os.path.join(out, "big_f8_2d.npy"), values("float64", (2, 3)).astype(">f8"))
np.save(os.path.join(out, "big_i4_1d.npy"), values("int32", (5,)).astype(">i4"))
np.save(os.path.join(out, "big_u8_1d.npy"), values("uint64", (5,)).astype(">u8"))
np.save(os.path.join(out, "big_f4_fortran_2d.npy"), np.asfortranarray(values("float32", (2, 3)).astype(">f4")))
with open(os.path.join(out, "v2_i64_2d.npy"), "wb") as f:
    npformat.write_array(f, values("int64", (2, 3)), version=(2, 0))
# unsupported
np.save(os.path.join(out, "complex128.npy"), np.array([1 + 2j, 3 - 1j]))
np.save(os.path.join(out, "unicode.npy"), np.array(["ab", "c"]))
np.save(os.path.join(out, "object.npy"), np.array([1, "x"], dtype=object), allow_pickle=True)
np.save(os.path.join(out, "structured.npy"), np.zeros(2, dtype=[("a", "<f8"), ("b", "<i4")]))
print(np.__version__, sorted(os.listdir(out)))
