"""A reader for TensorFlow Lite model files (.tflite), enough of them to rebuild a float network in PyTorch.

A .tflite file is a FlatBuffer (file identifier `TFL3`) of TFLite's schema (tensorflow/lite/schema/schema.fbs,
Apache-2.0). This reads the tables the hand-landmark networks use, by the schema's field order, with `struct`
alone (no flatbuffers package, no generated code):

    Model           version 0, operator_codes 1, subgraphs 2, description 3, buffers 4
    OperatorCode    deprecated_builtin_code 0 (byte), custom_code 1, version 2, builtin_code 3 (int; the larger
                    of the two codes is the operator, as TFLite's GetBuiltinCode does)
    SubGraph        tensors 0, inputs 1, outputs 2, operators 3, name 4
    Tensor          shape 0, type 1, buffer 2, name 3, quantization 4
    Quantization    min 0, max 1, scale 2, zero_point 3, details (union: type 4, value 5), quantized_dimension 6
    Operator        opcode_index 0, inputs 1, outputs 2, builtin_options (union: type 3, value 4)
    Buffer          data 0, offset 1, size 2 (offset/size: data stored after the FlatBuffer, files over 2 GB)

Operator options are read by field index too (`Operator.option(i, kind)`); the meaning of each index belongs to
the code that maps the operator (landmark_net.py). Anything this reader does not understand raises
TfliteFormatError naming the file and what was found.
"""
import struct
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import numpy as np

FILE_IDENTIFIER = b'TFL3'

#: TensorType values of the schema and their numpy types.
TENSOR_TYPES: Dict[int, Tuple[str, Optional[np.dtype]]] = {
    0: ('FLOAT32', np.dtype('<f4')), 1: ('FLOAT16', np.dtype('<f2')), 2: ('INT32', np.dtype('<i4')),
    3: ('UINT8', np.dtype('u1')), 4: ('INT64', np.dtype('<i8')), 5: ('STRING', None), 6: ('BOOL', np.dtype('u1')),
    7: ('INT16', np.dtype('<i2')), 8: ('COMPLEX64', None), 9: ('INT8', np.dtype('i1')),
    10: ('FLOAT64', np.dtype('<f8')),
}

#: BuiltinOperator values this package has a name for (those of the schema up to 40, and a few more).
BUILTIN_NAMES: Dict[int, str] = {
    0: 'ADD', 1: 'AVERAGE_POOL_2D', 2: 'CONCATENATION', 3: 'CONV_2D', 4: 'DEPTHWISE_CONV_2D', 5: 'DEPTH_TO_SPACE',
    6: 'DEQUANTIZE', 9: 'FULLY_CONNECTED', 14: 'LOGISTIC', 17: 'MAX_POOL_2D', 18: 'MUL', 19: 'RELU', 21: 'RELU6',
    22: 'RESHAPE', 23: 'RESIZE_BILINEAR', 25: 'SOFTMAX', 28: 'TANH', 32: 'CUSTOM', 34: 'PAD', 40: 'MEAN',
    41: 'SUB', 42: 'DIV', 54: 'PRELU', 114: 'QUANTIZE', 117: 'HARD_SWISH',
}


class TfliteFormatError(ValueError):
    """The file is not a TFLite model this reader can read (wrong file, truncated, or a feature it lacks)."""


class _Table:
    """A FlatBuffer table at `pos` of `buf`: fields by index, through its vtable."""

    def __init__(self, reader: '_Reader', pos: int) -> None:
        self.r, self.pos = reader, pos
        vtable = pos - reader.i32(pos)
        self.vt_len = reader.u16(vtable)
        self.vtable = vtable

    def _offset(self, index: int) -> int:
        slot = 4 + 2 * index
        if slot >= self.vt_len:
            return 0
        return self.r.u16(self.vtable + slot)

    def has(self, index: int) -> bool:
        return self._offset(index) != 0

    def scalar(self, index: int, fmt: str, default=0):
        off = self._offset(index)
        return default if off == 0 else struct.unpack_from('<' + fmt, self.r.buf, self.pos + off)[0]

    def table(self, index: int) -> Optional['_Table']:
        off = self._offset(index)
        if off == 0:
            return None
        at = self.pos + off
        return _Table(self.r, at + self.r.u32(at))

    def _vector(self, index: int) -> Tuple[int, int]:
        off = self._offset(index)
        if off == 0:
            return 0, 0
        at = self.pos + off
        start = at + self.r.u32(at)
        return start + 4, self.r.u32(start)

    def vector(self, index: int, fmt: str) -> List:
        start, n = self._vector(index)
        return list(struct.unpack_from(f'<{n}{fmt}', self.r.buf, start)) if n else []

    def bytes(self, index: int) -> memoryview:
        start, n = self._vector(index)
        return memoryview(self.r.buf)[start:start + n]

    def tables(self, index: int) -> List['_Table']:
        start, n = self._vector(index)
        return [_Table(self.r, start + 4 * i + self.r.u32(start + 4 * i)) for i in range(n)]

    def string(self, index: int) -> str:
        return bytes(self.bytes(index)).decode('utf-8', errors='replace')


class _Reader:
    def __init__(self, buf: bytes, path: str) -> None:
        self.buf, self.path = buf, path

    def _check(self, pos: int, size: int) -> None:
        if pos < 0 or pos + size > len(self.buf):
            raise TfliteFormatError(f'{self.path}: truncated or not a FlatBuffer (read of {size} bytes at {pos}, '
                                    f'file size {len(self.buf)})')

    def u16(self, pos: int) -> int:
        self._check(pos, 2)
        return struct.unpack_from('<H', self.buf, pos)[0]

    def u32(self, pos: int) -> int:
        self._check(pos, 4)
        return struct.unpack_from('<I', self.buf, pos)[0]

    def i32(self, pos: int) -> int:
        self._check(pos, 4)
        return struct.unpack_from('<i', self.buf, pos)[0]


@dataclass
class Tensor:
    index: int
    name: str
    shape: List[int]
    type_name: str
    dtype: Optional[np.dtype]
    buffer: int
    #: Constant data (None for activations): a numpy array of `shape`, in the file's type.
    data: Optional[np.ndarray] = None
    quantized: bool = False


@dataclass
class Operator:
    index: int
    code: int
    name: str
    inputs: List[int]
    outputs: List[int]
    options_type: int
    _options: Optional[_Table] = field(default=None, repr=False)

    def option(self, index: int, fmt: str, default=0):
        """Scalar field `index` of the operator's builtin options table (struct format `fmt`), or `default`."""
        return default if self._options is None else self._options.scalar(index, fmt, default)

    def option_vector(self, index: int, fmt: str) -> List:
        return [] if self._options is None else self._options.vector(index, fmt)


@dataclass
class TfliteModel:
    path: str
    version: int
    tensors: List[Tensor]
    operators: List[Operator]
    inputs: List[int]
    outputs: List[int]
    description: str


def read_tflite(path: str) -> TfliteModel:
    """Reads subgraph 0 of a .tflite file: tensors (with their constant data), operators in execution order,
    inputs and outputs. Raises TfliteFormatError for a file that is not one."""
    try:
        with open(path, 'rb') as f:
            buf = f.read()
    except OSError as error:
        raise TfliteFormatError(f'{path}: cannot read the model file ({error.strerror})') from error
    if len(buf) < 8 or buf[4:8] != FILE_IDENTIFIER:
        raise TfliteFormatError(f'{path}: not a TFLite model (file identifier {bytes(buf[4:8])!r}, expected '
                                f'{FILE_IDENTIFIER!r})')
    r = _Reader(buf, path)
    model = _Table(r, r.u32(0))
    version = model.scalar(0, 'I')
    if version != 3:
        raise TfliteFormatError(f'{path}: schema version {version}, expected 3')
    codes = []
    for oc in model.tables(1):
        deprecated = oc.scalar(0, 'b')
        builtin = oc.scalar(3, 'i')
        codes.append(max(deprecated, builtin))
    subgraphs = model.tables(2)
    if not subgraphs:
        raise TfliteFormatError(f'{path}: holds no subgraph')
    buffers = model.tables(4)
    sg = subgraphs[0]
    tensors: List[Tensor] = []
    for i, t in enumerate(sg.tables(0)):
        shape = t.vector(0, 'i')
        ttype = t.scalar(1, 'b')
        type_name, dtype = TENSOR_TYPES.get(ttype, (f'type {ttype}', None))
        buffer = t.scalar(2, 'I')
        quant = t.table(4)
        quantized = quant is not None and bool(quant.vector(2, 'f'))
        tensor = Tensor(i, t.string(3), shape, type_name, dtype, buffer, quantized=quantized)
        if buffer >= len(buffers):
            raise TfliteFormatError(f'{path}: tensor {tensor.name!r} names buffer {buffer} of {len(buffers)}')
        b = buffers[buffer]
        raw = b.bytes(0)
        if len(raw) == 0 and b.scalar(1, 'Q'):
            start, size = b.scalar(1, 'Q'), b.scalar(2, 'Q')
            raw = memoryview(buf)[start:start + size]
        if len(raw):
            if dtype is None:
                raise TfliteFormatError(f'{path}: tensor {tensor.name!r} holds constant data of {type_name}')
            count = int(np.prod(shape)) if shape else 1
            if len(raw) != count * dtype.itemsize:
                raise TfliteFormatError(f'{path}: tensor {tensor.name!r} of shape {shape} ({type_name}) has '
                                        f'{len(raw)} bytes, expected {count * dtype.itemsize}')
            tensor.data = np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
        tensors.append(tensor)
    operators: List[Operator] = []
    for i, op in enumerate(sg.tables(3)):
        opcode = op.scalar(0, 'I')
        if opcode >= len(codes):
            raise TfliteFormatError(f'{path}: operator {i} names operator code {opcode} of {len(codes)}')
        code = codes[opcode]
        operators.append(Operator(i, code, BUILTIN_NAMES.get(code, f'builtin {code}'), op.vector(1, 'i'),
                                  op.vector(2, 'i'), op.scalar(3, 'B'), op.table(4)))
    return TfliteModel(path, version, tensors, operators, sg.vector(1, 'i'), sg.vector(2, 'i'), model.string(3))
