// The internal instruction set the compiler emits and the interpreter runs.
// Each internal instruction is the address of its handler (two 32-bit
// words) followed by 32-bit operand words: frame slot indices, immediates,
// or branch offsets (in words, relative to the instruction's first word).
// The comment after each group gives the operand words in order.
//
// A naming scheme keeps the list greppable: <Type><Op>[Imm], where Imm means
// the last operand is an immediate instead of a slot.
#pragma once

#include <stdint.h>

// clang-format off
#define PALISADE_WASM_CONTROL_OPS(X)                                        \
  X(Unreachable)        /* */                                               \
  X(Jmp)                /* off */                                           \
  X(BrIf)               /* cond off */                                      \
  X(BrUnless)           /* cond off */                                      \
  X(BrTable)            /* idx n off[0..n] (the last is the default) */     \
  X(Return)             /* */                                               \
  X(Return1)            /* src: copies one result to slot 0 */              \
  X(Call)               /* defined-function index, arg base */              \
  X(CallImport)         /* function index, arg base */                      \
  X(CallIndirect)       /* table, type index, idx slot, arg base */         \
  X(LoopCheck)          /* (fuel and interrupts) */                         \
  X(Copy)               /* dst src */                                       \
  X(Copy2)              /* dst src dst2 src2 */                             \
  X(Const32)            /* dst imm */                                       \
  X(Const64)            /* dst lo hi */                                     \
  X(Select)             /* dst a b cond */                                  \
  X(GlobalGet)          /* dst idx */                                       \
  X(GlobalSet)          /* idx src */                                       \
  X(GlobalGet128)       /* dst idx (v128: two slots) */                     \
  X(GlobalSet128)       /* idx src */                                       \
  X(RefIsNull)          /* dst src */                                       \
  X(RefFunc)            /* dst idx */                                       \
  X(TableGet)           /* dst table idx */                                 \
  X(TableSet)           /* table idx val */                                 \
  X(TableSize)          /* dst table */                                     \
  X(TableGrow)          /* dst table init n */                              \
  X(TableFill)          /* table i val n */                                 \
  X(TableCopy)          /* dst_table src_table d s n */                     \
  X(TableInit)          /* table elem d s n */                              \
  X(ElemDrop)           /* elem */                                          \
  X(MemorySize)         /* dst */                                           \
  X(MemoryGrow)         /* dst delta */                                     \
  X(MemoryFill)         /* d val n */                                       \
  X(MemoryCopy)         /* d s n */                                         \
  X(MemoryInit)         /* data d s n */                                    \
  X(DataDrop)           /* data */

// Loads: dst addr offset. Stores: addr src offset.
#define PALISADE_WASM_MEMORY_OPS(X)                                         \
  X(I32Load) X(I64Load) X(I32Load8S) X(I32Load8U) X(I32Load16S)             \
  X(I32Load16U) X(I64Load8S) X(I64Load8U) X(I64Load16S) X(I64Load16U)       \
  X(I64Load32S) X(I64Load32U)                                               \
  X(I32Store) X(I64Store) X(I32Store8) X(I32Store16) X(I64Store8)           \
  X(I64Store16) X(I64Store32)

// Unary: dst src.
#define PALISADE_WASM_UNARY_OPS(X)                                          \
  X(I32Eqz) X(I64Eqz)                                                       \
  X(I32Clz) X(I32Ctz) X(I32Popcnt) X(I64Clz) X(I64Ctz) X(I64Popcnt)        \
  X(F32Abs) X(F32Neg) X(F32Ceil) X(F32Floor) X(F32Trunc) X(F32Nearest)      \
  X(F32Sqrt)                                                                \
  X(F64Abs) X(F64Neg) X(F64Ceil) X(F64Floor) X(F64Trunc) X(F64Nearest)      \
  X(F64Sqrt)                                                                \
  X(I32WrapI64) X(I32TruncF32S) X(I32TruncF32U) X(I32TruncF64S)             \
  X(I32TruncF64U) X(I64ExtendI32S) X(I64ExtendI32U) X(I64TruncF32S)         \
  X(I64TruncF32U) X(I64TruncF64S) X(I64TruncF64U) X(F32ConvertI32S)         \
  X(F32ConvertI32U) X(F32ConvertI64S) X(F32ConvertI64U) X(F32DemoteF64)     \
  X(F64ConvertI32S) X(F64ConvertI32U) X(F64ConvertI64S) X(F64ConvertI64U)   \
  X(F64PromoteF32)                                                          \
  X(I32Extend8S) X(I32Extend16S) X(I64Extend8S) X(I64Extend16S)             \
  X(I64Extend32S)                                                           \
  X(I32TruncSatF32S) X(I32TruncSatF32U) X(I32TruncSatF64S)                  \
  X(I32TruncSatF64U) X(I64TruncSatF32S) X(I64TruncSatF32U)                  \
  X(I64TruncSatF64S) X(I64TruncSatF64U)

// Binary: dst a b. The integer ones marked in the compiler also have an
// <Op>Imm form: dst a imm (one word for i32, two for i64).
#define PALISADE_WASM_BINARY_OPS(X)                                         \
  X(I32Eq) X(I32Ne) X(I32LtS) X(I32LtU) X(I32GtS) X(I32GtU) X(I32LeS)       \
  X(I32LeU) X(I32GeS) X(I32GeU)                                             \
  X(I64Eq) X(I64Ne) X(I64LtS) X(I64LtU) X(I64GtS) X(I64GtU) X(I64LeS)       \
  X(I64LeU) X(I64GeS) X(I64GeU)                                             \
  X(F32Eq) X(F32Ne) X(F32Lt) X(F32Gt) X(F32Le) X(F32Ge)                     \
  X(F64Eq) X(F64Ne) X(F64Lt) X(F64Gt) X(F64Le) X(F64Ge)                     \
  X(I32Add) X(I32Sub) X(I32Mul) X(I32DivS) X(I32DivU) X(I32RemS)            \
  X(I32RemU) X(I32And) X(I32Or) X(I32Xor) X(I32Shl) X(I32ShrS) X(I32ShrU)   \
  X(I32Rotl) X(I32Rotr)                                                     \
  X(I64Add) X(I64Sub) X(I64Mul) X(I64DivS) X(I64DivU) X(I64RemS)            \
  X(I64RemU) X(I64And) X(I64Or) X(I64Xor) X(I64Shl) X(I64ShrS) X(I64ShrU)   \
  X(I64Rotl) X(I64Rotr)                                                     \
  X(F32Add) X(F32Sub) X(F32Mul) X(F32Div) X(F32Min) X(F32Max)               \
  X(F32Copysign)                                                            \
  X(F64Add) X(F64Sub) X(F64Mul) X(F64Div) X(F64Min) X(F64Max)               \
  X(F64Copysign)

// Integer binary ops with an immediate right operand: dst a imm. Division
// and remainder get one only for divisors that cannot trap (not 0, not -1
// for the signed forms).
#define PALISADE_WASM_IMM_OPS(X)                                            \
  X(I32AddImm) X(I32MulImm) X(I32AndImm) X(I32OrImm) X(I32XorImm)           \
  X(I32ShlImm) X(I32ShrSImm) X(I32ShrUImm) X(I32RotlImm) X(I32RotrImm)     \
  X(I32DivSImm) X(I32DivUImm) X(I32RemSImm) X(I32RemUImm)                   \
  X(I32EqImm) X(I32NeImm) X(I32LtSImm) X(I32LtUImm) X(I32GtSImm)            \
  X(I32GtUImm) X(I32LeSImm) X(I32LeUImm) X(I32GeSImm) X(I32GeUImm)          \
  X(I64AddImm) X(I64MulImm) X(I64AndImm) X(I64OrImm) X(I64XorImm)           \
  X(I64ShlImm) X(I64ShrSImm) X(I64ShrUImm) X(I64RotlImm) X(I64RotrImm)     \
  X(I64DivSImm) X(I64DivUImm) X(I64RemSImm) X(I64RemUImm)                   \
  X(I64EqImm) X(I64NeImm) X(I64LtSImm) X(I64LtUImm) X(I64GtSImm)            \
  X(I64GtUImm) X(I64LeSImm) X(I64LeUImm) X(I64GeSImm) X(I64GeUImm)

// Compare-and-branch (a compare fused with the br_if or if that consumes
// it): a b off, or a imm off for the Imm forms; branches when true.
#define PALISADE_WASM_BRANCH_OPS(X)                                         \
  X(BrI32Eqz) X(BrI32Nez) X(BrI64Eqz) X(BrI64Nez)                           \
  X(BrI32Eq) X(BrI32Ne) X(BrI32LtS) X(BrI32LtU) X(BrI32GtS) X(BrI32GtU)     \
  X(BrI32LeS) X(BrI32LeU) X(BrI32GeS) X(BrI32GeU)                           \
  X(BrI64Eq) X(BrI64Ne) X(BrI64LtS) X(BrI64LtU) X(BrI64GtS) X(BrI64GtU)     \
  X(BrI64LeS) X(BrI64LeU) X(BrI64GeS) X(BrI64GeU)                           \
  X(BrI32EqImm) X(BrI32NeImm) X(BrI32LtSImm) X(BrI32LtUImm) X(BrI32GtSImm)  \
  X(BrI32GtUImm) X(BrI32LeSImm) X(BrI32LeUImm) X(BrI32GeSImm)               \
  X(BrI32GeUImm)                                                            \
  X(BrI64EqImm) X(BrI64NeImm) X(BrI64LtSImm) X(BrI64LtUImm) X(BrI64GtSImm)  \
  X(BrI64GtUImm) X(BrI64LeSImm) X(BrI64LeUImm) X(BrI64GeSImm)               \
  X(BrI64GeUImm)

// Float binary ops with a constant right operand: dst a imm (one word for
// f32, two for f64).
#define PALISADE_WASM_FLOAT_IMM_OPS(X)                                      \
  X(F32AddImm) X(F32SubImm) X(F32MulImm) X(F32DivImm)                       \
  X(F64AddImm) X(F64SubImm) X(F64MulImm) X(F64DivImm)

// Pairs of Wasm instructions the compiler fuses when the first one's result
// goes straight into the second (each still rounds and traps exactly as the
// pair would; a fused load traps at the load's offset):
//   <T>LoadAddImm   dst a imm offset   load from (a + imm) mod 2^32, + offset
//   <T>LoadAt       dst ea             load from a constant address
//   <T>StoreAt      ea src             store to a constant address
//   <Op>Load        dst a addr offset  a <op> load(addr + offset)
//   <T>MulAdd       dst a b c          (a * b) + c
//   <T>MulSub       dst a b c          (a * b) - c
//   <T>SubMul       dst a b c          c - (a * b)
#define PALISADE_WASM_FUSED_OPS(X)                                          \
  X(I32LoadAddImm) X(I64LoadAddImm) X(I32LoadAt) X(I64LoadAt)               \
  X(I32StoreAt) X(I64StoreAt)                                               \
  X(I32AddLoad) X(I64AddLoad) X(F32AddLoad) X(F32SubLoad) X(F32MulLoad)     \
  X(F64AddLoad) X(F64SubLoad) X(F64MulLoad)                                 \
  X(F32MulAdd) X(F32MulSub) X(F32SubMul) X(F64MulAdd) X(F64MulSub)          \
  X(F64SubMul)

// SIMD (0xfd prefix), one internal op per Wasm instruction, in opcode
// order; compile/simd_opcodes.h gives each one's form and operands.
// Select128 is the v128 form of select (dst a b cond).
#define PALISADE_WASM_SIMD_OPS(X)                                           \
  X(V128Load) X(V128Load8x8S) X(V128Load8x8U) X(V128Load16x4S)              \
  X(V128Load16x4U) X(V128Load32x2S) X(V128Load32x2U) X(V128Load8Splat)      \
  X(V128Load16Splat) X(V128Load32Splat) X(V128Load64Splat) X(V128Store)     \
  X(V128Const) X(I8x16Shuffle) X(I8x16Swizzle) X(I8x16Splat)                \
  X(I16x8Splat) X(I32x4Splat) X(I64x2Splat) X(F32x4Splat) X(F64x2Splat)     \
  X(I8x16ExtractLaneS) X(I8x16ExtractLaneU) X(I8x16ReplaceLane)             \
  X(I16x8ExtractLaneS) X(I16x8ExtractLaneU) X(I16x8ReplaceLane)             \
  X(I32x4ExtractLane) X(I32x4ReplaceLane) X(I64x2ExtractLane)               \
  X(I64x2ReplaceLane) X(F32x4ExtractLane) X(F32x4ReplaceLane)               \
  X(F64x2ExtractLane) X(F64x2ReplaceLane) X(I8x16Eq) X(I8x16Ne)             \
  X(I8x16LtS) X(I8x16LtU) X(I8x16GtS) X(I8x16GtU) X(I8x16LeS) X(I8x16LeU)   \
  X(I8x16GeS) X(I8x16GeU) X(I16x8Eq) X(I16x8Ne) X(I16x8LtS) X(I16x8LtU)     \
  X(I16x8GtS) X(I16x8GtU) X(I16x8LeS) X(I16x8LeU) X(I16x8GeS) X(I16x8GeU)   \
  X(I32x4Eq) X(I32x4Ne) X(I32x4LtS) X(I32x4LtU) X(I32x4GtS) X(I32x4GtU)     \
  X(I32x4LeS) X(I32x4LeU) X(I32x4GeS) X(I32x4GeU) X(F32x4Eq) X(F32x4Ne)     \
  X(F32x4Lt) X(F32x4Gt) X(F32x4Le) X(F32x4Ge) X(F64x2Eq) X(F64x2Ne)         \
  X(F64x2Lt) X(F64x2Gt) X(F64x2Le) X(F64x2Ge) X(V128Not) X(V128And)         \
  X(V128Andnot) X(V128Or) X(V128Xor) X(V128Bitselect) X(V128AnyTrue)        \
  X(V128Load8Lane) X(V128Load16Lane) X(V128Load32Lane) X(V128Load64Lane)    \
  X(V128Store8Lane) X(V128Store16Lane) X(V128Store32Lane)                   \
  X(V128Store64Lane) X(V128Load32Zero) X(V128Load64Zero)                    \
  X(F32x4DemoteF64x2Zero) X(F64x2PromoteLowF32x4) X(I8x16Abs) X(I8x16Neg)   \
  X(I8x16Popcnt) X(I8x16AllTrue) X(I8x16Bitmask) X(I8x16NarrowI16x8S)       \
  X(I8x16NarrowI16x8U) X(F32x4Ceil) X(F32x4Floor) X(F32x4Trunc)             \
  X(F32x4Nearest) X(I8x16Shl) X(I8x16ShrS) X(I8x16ShrU) X(I8x16Add)         \
  X(I8x16AddSatS) X(I8x16AddSatU) X(I8x16Sub) X(I8x16SubSatS)               \
  X(I8x16SubSatU) X(F64x2Ceil) X(F64x2Floor) X(I8x16MinS) X(I8x16MinU)      \
  X(I8x16MaxS) X(I8x16MaxU) X(F64x2Trunc) X(I8x16AvgrU)                     \
  X(I16x8ExtaddPairwiseI8x16S) X(I16x8ExtaddPairwiseI8x16U)                 \
  X(I32x4ExtaddPairwiseI16x8S) X(I32x4ExtaddPairwiseI16x8U) X(I16x8Abs)     \
  X(I16x8Neg) X(I16x8Q15mulrSatS) X(I16x8AllTrue) X(I16x8Bitmask)           \
  X(I16x8NarrowI32x4S) X(I16x8NarrowI32x4U) X(I16x8ExtendLowI8x16S)         \
  X(I16x8ExtendHighI8x16S) X(I16x8ExtendLowI8x16U)                          \
  X(I16x8ExtendHighI8x16U) X(I16x8Shl) X(I16x8ShrS) X(I16x8ShrU)            \
  X(I16x8Add) X(I16x8AddSatS) X(I16x8AddSatU) X(I16x8Sub) X(I16x8SubSatS)   \
  X(I16x8SubSatU) X(F64x2Nearest) X(I16x8Mul) X(I16x8MinS) X(I16x8MinU)     \
  X(I16x8MaxS) X(I16x8MaxU) X(I16x8AvgrU) X(I16x8ExtmulLowI8x16S)           \
  X(I16x8ExtmulHighI8x16S) X(I16x8ExtmulLowI8x16U)                          \
  X(I16x8ExtmulHighI8x16U) X(I32x4Abs) X(I32x4Neg) X(I32x4AllTrue)          \
  X(I32x4Bitmask) X(I32x4ExtendLowI16x8S) X(I32x4ExtendHighI16x8S)          \
  X(I32x4ExtendLowI16x8U) X(I32x4ExtendHighI16x8U) X(I32x4Shl)              \
  X(I32x4ShrS) X(I32x4ShrU) X(I32x4Add) X(I32x4Sub) X(I32x4Mul)             \
  X(I32x4MinS) X(I32x4MinU) X(I32x4MaxS) X(I32x4MaxU) X(I32x4DotI16x8S)     \
  X(I32x4ExtmulLowI16x8S) X(I32x4ExtmulHighI16x8S)                          \
  X(I32x4ExtmulLowI16x8U) X(I32x4ExtmulHighI16x8U) X(I64x2Abs)              \
  X(I64x2Neg) X(I64x2AllTrue) X(I64x2Bitmask) X(I64x2ExtendLowI32x4S)       \
  X(I64x2ExtendHighI32x4S) X(I64x2ExtendLowI32x4U)                          \
  X(I64x2ExtendHighI32x4U) X(I64x2Shl) X(I64x2ShrS) X(I64x2ShrU)            \
  X(I64x2Add) X(I64x2Sub) X(I64x2Mul) X(I64x2Eq) X(I64x2Ne) X(I64x2LtS)     \
  X(I64x2GtS) X(I64x2LeS) X(I64x2GeS) X(I64x2ExtmulLowI32x4S)               \
  X(I64x2ExtmulHighI32x4S) X(I64x2ExtmulLowI32x4U)                          \
  X(I64x2ExtmulHighI32x4U) X(F32x4Abs) X(F32x4Neg) X(F32x4Sqrt)             \
  X(F32x4Add) X(F32x4Sub) X(F32x4Mul) X(F32x4Div) X(F32x4Min) X(F32x4Max)   \
  X(F32x4Pmin) X(F32x4Pmax) X(F64x2Abs) X(F64x2Neg) X(F64x2Sqrt)            \
  X(F64x2Add) X(F64x2Sub) X(F64x2Mul) X(F64x2Div) X(F64x2Min) X(F64x2Max)   \
  X(F64x2Pmin) X(F64x2Pmax) X(I32x4TruncSatF32x4S) X(I32x4TruncSatF32x4U)   \
  X(F32x4ConvertI32x4S) X(F32x4ConvertI32x4U) X(I32x4TruncSatF64x2SZero)    \
  X(I32x4TruncSatF64x2UZero) X(F64x2ConvertLowI32x4S)                       \
  X(F64x2ConvertLowI32x4U) \
  X(Select128)

// Coverage probes, emitted only when a module is compiled with
// CompileOptions::coverage (palisade fuzz): CovEdge marks the start of a
// basic block (edge coverage by hashing it with the previous block, as AFL
// does); CovCmp* report an integer compare's operands before the compare
// runs, so the fuzzing engine can learn the constants the input is compared
// with. Operands: CovEdge id; CovCmp32/64 site a b; CovCmp32Imm site a imm;
// CovCmp64Imm site a lo hi.
#define PALISADE_WASM_COVERAGE_OPS(X)                                       \
  X(CovEdge) X(CovCmp32) X(CovCmp32Imm) X(CovCmp64) X(CovCmp64Imm)

#define PALISADE_WASM_ALL_OPS(X)                                            \
  PALISADE_WASM_CONTROL_OPS(X) PALISADE_WASM_MEMORY_OPS(X)                  \
  PALISADE_WASM_UNARY_OPS(X) PALISADE_WASM_BINARY_OPS(X)                    \
  PALISADE_WASM_IMM_OPS(X) PALISADE_WASM_BRANCH_OPS(X)                      \
  PALISADE_WASM_FLOAT_IMM_OPS(X) PALISADE_WASM_FUSED_OPS(X)                 \
  PALISADE_WASM_SIMD_OPS(X) PALISADE_WASM_COVERAGE_OPS(X)
// clang-format on

namespace palisade::wasm {

enum class Op : uint16_t {
#define PALISADE_WASM_ENUM(name) k##name,
  PALISADE_WASM_ALL_OPS(PALISADE_WASM_ENUM)
#undef PALISADE_WASM_ENUM
  kCount
};

}  // namespace palisade::wasm
