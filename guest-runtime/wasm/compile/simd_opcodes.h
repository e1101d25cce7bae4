// The SIMD instructions (0xfd prefix): for each sub-opcode, the internal op
// and the form its operands take. Operand words of each form:
//   kLoad       dst addr offset            kStore      addr src offset
//   kLoadLane   dst addr vec offset lane   kStoreLane  addr vec offset lane
//   kConst      dst w0 w1 w2 w3            kShuffle    dst a b w0 w1 w2 w3 (lane bytes)
//   kSplat      dst scalar                 kExtract    dst vec lane
//   kReplace    dst vec scalar lane        kUnary      dst a
//   kBinary     dst a b                    kTernary    dst a b c
//   kTest       dst(i32) a                 kShift      dst a count(i32)
// A v128 occupies two frame slots starting at the slot named.
#pragma once

#include <stdint.h>

#include "wasm/binary/module.h"
#include "wasm/compile/ops.h"

namespace palisade::wasm {

enum class SimdForm : uint8_t {
  kNone, kLoad, kStore, kLoadLane, kStoreLane, kConst, kShuffle, kSplat, kExtract, kReplace,
  kUnary, kBinary, kTernary, kTest, kShift,
};

struct SimdOpcode {
  uint32_t code;          // the sub-opcode after 0xfd
  Op op;
  SimdForm form;
  ValType scalar;         // kSplat/kExtract/kReplace: the lane's scalar type
  uint8_t lanes;          // kExtract/kReplace/kLoadLane/kStoreLane: lane count
  uint8_t natural_log2;   // memory forms: the largest valid alignment
};

// Sorted by code; 236 entries (the gaps in 0..255 are unassigned opcodes).
inline constexpr SimdOpcode kSimdOpcodes[] = {
    {0x00, Op::kV128Load, SimdForm::kLoad, ValType::kI32, 0, 4},  // v128.load
    {0x01, Op::kV128Load8x8S, SimdForm::kLoad, ValType::kI32, 0, 3},  // v128.load8x8_s
    {0x02, Op::kV128Load8x8U, SimdForm::kLoad, ValType::kI32, 0, 3},  // v128.load8x8_u
    {0x03, Op::kV128Load16x4S, SimdForm::kLoad, ValType::kI32, 0, 3},  // v128.load16x4_s
    {0x04, Op::kV128Load16x4U, SimdForm::kLoad, ValType::kI32, 0, 3},  // v128.load16x4_u
    {0x05, Op::kV128Load32x2S, SimdForm::kLoad, ValType::kI32, 0, 3},  // v128.load32x2_s
    {0x06, Op::kV128Load32x2U, SimdForm::kLoad, ValType::kI32, 0, 3},  // v128.load32x2_u
    {0x07, Op::kV128Load8Splat, SimdForm::kLoad, ValType::kI32, 0, 0},  // v128.load8_splat
    {0x08, Op::kV128Load16Splat, SimdForm::kLoad, ValType::kI32, 0, 1},  // v128.load16_splat
    {0x09, Op::kV128Load32Splat, SimdForm::kLoad, ValType::kI32, 0, 2},  // v128.load32_splat
    {0x0a, Op::kV128Load64Splat, SimdForm::kLoad, ValType::kI32, 0, 3},  // v128.load64_splat
    {0x0b, Op::kV128Store, SimdForm::kStore, ValType::kI32, 0, 4},  // v128.store
    {0x0c, Op::kV128Const, SimdForm::kConst, ValType::kI32, 0, 0},  // v128.const
    {0x0d, Op::kI8x16Shuffle, SimdForm::kShuffle, ValType::kI32, 16, 0},  // i8x16.shuffle
    {0x0e, Op::kI8x16Swizzle, SimdForm::kBinary, ValType::kI32, 16, 0},  // i8x16.swizzle
    {0x0f, Op::kI8x16Splat, SimdForm::kSplat, ValType::kI32, 16, 0},  // i8x16.splat
    {0x10, Op::kI16x8Splat, SimdForm::kSplat, ValType::kI32, 8, 0},  // i16x8.splat
    {0x11, Op::kI32x4Splat, SimdForm::kSplat, ValType::kI32, 4, 0},  // i32x4.splat
    {0x12, Op::kI64x2Splat, SimdForm::kSplat, ValType::kI64, 2, 0},  // i64x2.splat
    {0x13, Op::kF32x4Splat, SimdForm::kSplat, ValType::kF32, 4, 0},  // f32x4.splat
    {0x14, Op::kF64x2Splat, SimdForm::kSplat, ValType::kF64, 2, 0},  // f64x2.splat
    {0x15, Op::kI8x16ExtractLaneS, SimdForm::kExtract, ValType::kI32, 16, 0},  // i8x16.extract_lane_s
    {0x16, Op::kI8x16ExtractLaneU, SimdForm::kExtract, ValType::kI32, 16, 0},  // i8x16.extract_lane_u
    {0x17, Op::kI8x16ReplaceLane, SimdForm::kReplace, ValType::kI32, 16, 0},  // i8x16.replace_lane
    {0x18, Op::kI16x8ExtractLaneS, SimdForm::kExtract, ValType::kI32, 8, 0},  // i16x8.extract_lane_s
    {0x19, Op::kI16x8ExtractLaneU, SimdForm::kExtract, ValType::kI32, 8, 0},  // i16x8.extract_lane_u
    {0x1a, Op::kI16x8ReplaceLane, SimdForm::kReplace, ValType::kI32, 8, 0},  // i16x8.replace_lane
    {0x1b, Op::kI32x4ExtractLane, SimdForm::kExtract, ValType::kI32, 4, 0},  // i32x4.extract_lane
    {0x1c, Op::kI32x4ReplaceLane, SimdForm::kReplace, ValType::kI32, 4, 0},  // i32x4.replace_lane
    {0x1d, Op::kI64x2ExtractLane, SimdForm::kExtract, ValType::kI64, 2, 0},  // i64x2.extract_lane
    {0x1e, Op::kI64x2ReplaceLane, SimdForm::kReplace, ValType::kI64, 2, 0},  // i64x2.replace_lane
    {0x1f, Op::kF32x4ExtractLane, SimdForm::kExtract, ValType::kF32, 4, 0},  // f32x4.extract_lane
    {0x20, Op::kF32x4ReplaceLane, SimdForm::kReplace, ValType::kF32, 4, 0},  // f32x4.replace_lane
    {0x21, Op::kF64x2ExtractLane, SimdForm::kExtract, ValType::kF64, 2, 0},  // f64x2.extract_lane
    {0x22, Op::kF64x2ReplaceLane, SimdForm::kReplace, ValType::kF64, 2, 0},  // f64x2.replace_lane
    {0x23, Op::kI8x16Eq, SimdForm::kBinary, ValType::kI32, 16, 0},  // i8x16.eq
    {0x24, Op::kI8x16Ne, SimdForm::kBinary, ValType::kI32, 16, 0},  // i8x16.ne
    {0x25, Op::kI8x16LtS, SimdForm::kBinary, ValType::kI32, 16, 0},  // i8x16.lt_s
    {0x26, Op::kI8x16LtU, SimdForm::kBinary, ValType::kI32, 16, 0},  // i8x16.lt_u
    {0x27, Op::kI8x16GtS, SimdForm::kBinary, ValType::kI32, 16, 0},  // i8x16.gt_s
    {0x28, Op::kI8x16GtU, SimdForm::kBinary, ValType::kI32, 16, 0},  // i8x16.gt_u
    {0x29, Op::kI8x16LeS, SimdForm::kBinary, ValType::kI32, 16, 0},  // i8x16.le_s
    {0x2a, Op::kI8x16LeU, SimdForm::kBinary, ValType::kI32, 16, 0},  // i8x16.le_u
    {0x2b, Op::kI8x16GeS, SimdForm::kBinary, ValType::kI32, 16, 0},  // i8x16.ge_s
    {0x2c, Op::kI8x16GeU, SimdForm::kBinary, ValType::kI32, 16, 0},  // i8x16.ge_u
    {0x2d, Op::kI16x8Eq, SimdForm::kBinary, ValType::kI32, 8, 0},  // i16x8.eq
    {0x2e, Op::kI16x8Ne, SimdForm::kBinary, ValType::kI32, 8, 0},  // i16x8.ne
    {0x2f, Op::kI16x8LtS, SimdForm::kBinary, ValType::kI32, 8, 0},  // i16x8.lt_s
    {0x30, Op::kI16x8LtU, SimdForm::kBinary, ValType::kI32, 8, 0},  // i16x8.lt_u
    {0x31, Op::kI16x8GtS, SimdForm::kBinary, ValType::kI32, 8, 0},  // i16x8.gt_s
    {0x32, Op::kI16x8GtU, SimdForm::kBinary, ValType::kI32, 8, 0},  // i16x8.gt_u
    {0x33, Op::kI16x8LeS, SimdForm::kBinary, ValType::kI32, 8, 0},  // i16x8.le_s
    {0x34, Op::kI16x8LeU, SimdForm::kBinary, ValType::kI32, 8, 0},  // i16x8.le_u
    {0x35, Op::kI16x8GeS, SimdForm::kBinary, ValType::kI32, 8, 0},  // i16x8.ge_s
    {0x36, Op::kI16x8GeU, SimdForm::kBinary, ValType::kI32, 8, 0},  // i16x8.ge_u
    {0x37, Op::kI32x4Eq, SimdForm::kBinary, ValType::kI32, 4, 0},  // i32x4.eq
    {0x38, Op::kI32x4Ne, SimdForm::kBinary, ValType::kI32, 4, 0},  // i32x4.ne
    {0x39, Op::kI32x4LtS, SimdForm::kBinary, ValType::kI32, 4, 0},  // i32x4.lt_s
    {0x3a, Op::kI32x4LtU, SimdForm::kBinary, ValType::kI32, 4, 0},  // i32x4.lt_u
    {0x3b, Op::kI32x4GtS, SimdForm::kBinary, ValType::kI32, 4, 0},  // i32x4.gt_s
    {0x3c, Op::kI32x4GtU, SimdForm::kBinary, ValType::kI32, 4, 0},  // i32x4.gt_u
    {0x3d, Op::kI32x4LeS, SimdForm::kBinary, ValType::kI32, 4, 0},  // i32x4.le_s
    {0x3e, Op::kI32x4LeU, SimdForm::kBinary, ValType::kI32, 4, 0},  // i32x4.le_u
    {0x3f, Op::kI32x4GeS, SimdForm::kBinary, ValType::kI32, 4, 0},  // i32x4.ge_s
    {0x40, Op::kI32x4GeU, SimdForm::kBinary, ValType::kI32, 4, 0},  // i32x4.ge_u
    {0x41, Op::kF32x4Eq, SimdForm::kBinary, ValType::kF32, 4, 0},  // f32x4.eq
    {0x42, Op::kF32x4Ne, SimdForm::kBinary, ValType::kF32, 4, 0},  // f32x4.ne
    {0x43, Op::kF32x4Lt, SimdForm::kBinary, ValType::kF32, 4, 0},  // f32x4.lt
    {0x44, Op::kF32x4Gt, SimdForm::kBinary, ValType::kF32, 4, 0},  // f32x4.gt
    {0x45, Op::kF32x4Le, SimdForm::kBinary, ValType::kF32, 4, 0},  // f32x4.le
    {0x46, Op::kF32x4Ge, SimdForm::kBinary, ValType::kF32, 4, 0},  // f32x4.ge
    {0x47, Op::kF64x2Eq, SimdForm::kBinary, ValType::kF64, 2, 0},  // f64x2.eq
    {0x48, Op::kF64x2Ne, SimdForm::kBinary, ValType::kF64, 2, 0},  // f64x2.ne
    {0x49, Op::kF64x2Lt, SimdForm::kBinary, ValType::kF64, 2, 0},  // f64x2.lt
    {0x4a, Op::kF64x2Gt, SimdForm::kBinary, ValType::kF64, 2, 0},  // f64x2.gt
    {0x4b, Op::kF64x2Le, SimdForm::kBinary, ValType::kF64, 2, 0},  // f64x2.le
    {0x4c, Op::kF64x2Ge, SimdForm::kBinary, ValType::kF64, 2, 0},  // f64x2.ge
    {0x4d, Op::kV128Not, SimdForm::kUnary, ValType::kI32, 0, 0},  // v128.not
    {0x4e, Op::kV128And, SimdForm::kBinary, ValType::kI32, 0, 0},  // v128.and
    {0x4f, Op::kV128Andnot, SimdForm::kBinary, ValType::kI32, 0, 0},  // v128.andnot
    {0x50, Op::kV128Or, SimdForm::kBinary, ValType::kI32, 0, 0},  // v128.or
    {0x51, Op::kV128Xor, SimdForm::kBinary, ValType::kI32, 0, 0},  // v128.xor
    {0x52, Op::kV128Bitselect, SimdForm::kTernary, ValType::kI32, 0, 0},  // v128.bitselect
    {0x53, Op::kV128AnyTrue, SimdForm::kTest, ValType::kI32, 0, 0},  // v128.any_true
    {0x54, Op::kV128Load8Lane, SimdForm::kLoadLane, ValType::kI32, 16, 0},  // v128.load8_lane
    {0x55, Op::kV128Load16Lane, SimdForm::kLoadLane, ValType::kI32, 8, 1},  // v128.load16_lane
    {0x56, Op::kV128Load32Lane, SimdForm::kLoadLane, ValType::kI32, 4, 2},  // v128.load32_lane
    {0x57, Op::kV128Load64Lane, SimdForm::kLoadLane, ValType::kI32, 2, 3},  // v128.load64_lane
    {0x58, Op::kV128Store8Lane, SimdForm::kStoreLane, ValType::kI32, 16, 0},  // v128.store8_lane
    {0x59, Op::kV128Store16Lane, SimdForm::kStoreLane, ValType::kI32, 8, 1},  // v128.store16_lane
    {0x5a, Op::kV128Store32Lane, SimdForm::kStoreLane, ValType::kI32, 4, 2},  // v128.store32_lane
    {0x5b, Op::kV128Store64Lane, SimdForm::kStoreLane, ValType::kI32, 2, 3},  // v128.store64_lane
    {0x5c, Op::kV128Load32Zero, SimdForm::kLoad, ValType::kI32, 0, 2},  // v128.load32_zero
    {0x5d, Op::kV128Load64Zero, SimdForm::kLoad, ValType::kI32, 0, 3},  // v128.load64_zero
    {0x5e, Op::kF32x4DemoteF64x2Zero, SimdForm::kUnary, ValType::kF32, 4, 0},  // f32x4.demote_f64x2_zero
    {0x5f, Op::kF64x2PromoteLowF32x4, SimdForm::kUnary, ValType::kF64, 2, 0},  // f64x2.promote_low_f32x4
    {0x60, Op::kI8x16Abs, SimdForm::kUnary, ValType::kI32, 16, 0},  // i8x16.abs
    {0x61, Op::kI8x16Neg, SimdForm::kUnary, ValType::kI32, 16, 0},  // i8x16.neg
    {0x62, Op::kI8x16Popcnt, SimdForm::kUnary, ValType::kI32, 16, 0},  // i8x16.popcnt
    {0x63, Op::kI8x16AllTrue, SimdForm::kTest, ValType::kI32, 16, 0},  // i8x16.all_true
    {0x64, Op::kI8x16Bitmask, SimdForm::kTest, ValType::kI32, 16, 0},  // i8x16.bitmask
    {0x65, Op::kI8x16NarrowI16x8S, SimdForm::kBinary, ValType::kI32, 16, 0},  // i8x16.narrow_i16x8_s
    {0x66, Op::kI8x16NarrowI16x8U, SimdForm::kBinary, ValType::kI32, 16, 0},  // i8x16.narrow_i16x8_u
    {0x67, Op::kF32x4Ceil, SimdForm::kUnary, ValType::kF32, 4, 0},  // f32x4.ceil
    {0x68, Op::kF32x4Floor, SimdForm::kUnary, ValType::kF32, 4, 0},  // f32x4.floor
    {0x69, Op::kF32x4Trunc, SimdForm::kUnary, ValType::kF32, 4, 0},  // f32x4.trunc
    {0x6a, Op::kF32x4Nearest, SimdForm::kUnary, ValType::kF32, 4, 0},  // f32x4.nearest
    {0x6b, Op::kI8x16Shl, SimdForm::kShift, ValType::kI32, 16, 0},  // i8x16.shl
    {0x6c, Op::kI8x16ShrS, SimdForm::kShift, ValType::kI32, 16, 0},  // i8x16.shr_s
    {0x6d, Op::kI8x16ShrU, SimdForm::kShift, ValType::kI32, 16, 0},  // i8x16.shr_u
    {0x6e, Op::kI8x16Add, SimdForm::kBinary, ValType::kI32, 16, 0},  // i8x16.add
    {0x6f, Op::kI8x16AddSatS, SimdForm::kBinary, ValType::kI32, 16, 0},  // i8x16.add_sat_s
    {0x70, Op::kI8x16AddSatU, SimdForm::kBinary, ValType::kI32, 16, 0},  // i8x16.add_sat_u
    {0x71, Op::kI8x16Sub, SimdForm::kBinary, ValType::kI32, 16, 0},  // i8x16.sub
    {0x72, Op::kI8x16SubSatS, SimdForm::kBinary, ValType::kI32, 16, 0},  // i8x16.sub_sat_s
    {0x73, Op::kI8x16SubSatU, SimdForm::kBinary, ValType::kI32, 16, 0},  // i8x16.sub_sat_u
    {0x74, Op::kF64x2Ceil, SimdForm::kUnary, ValType::kF64, 2, 0},  // f64x2.ceil
    {0x75, Op::kF64x2Floor, SimdForm::kUnary, ValType::kF64, 2, 0},  // f64x2.floor
    {0x76, Op::kI8x16MinS, SimdForm::kBinary, ValType::kI32, 16, 0},  // i8x16.min_s
    {0x77, Op::kI8x16MinU, SimdForm::kBinary, ValType::kI32, 16, 0},  // i8x16.min_u
    {0x78, Op::kI8x16MaxS, SimdForm::kBinary, ValType::kI32, 16, 0},  // i8x16.max_s
    {0x79, Op::kI8x16MaxU, SimdForm::kBinary, ValType::kI32, 16, 0},  // i8x16.max_u
    {0x7a, Op::kF64x2Trunc, SimdForm::kUnary, ValType::kF64, 2, 0},  // f64x2.trunc
    {0x7b, Op::kI8x16AvgrU, SimdForm::kBinary, ValType::kI32, 16, 0},  // i8x16.avgr_u
    {0x7c, Op::kI16x8ExtaddPairwiseI8x16S, SimdForm::kUnary, ValType::kI32, 8, 0},  // i16x8.extadd_pairwise_i8x16_s
    {0x7d, Op::kI16x8ExtaddPairwiseI8x16U, SimdForm::kUnary, ValType::kI32, 8, 0},  // i16x8.extadd_pairwise_i8x16_u
    {0x7e, Op::kI32x4ExtaddPairwiseI16x8S, SimdForm::kUnary, ValType::kI32, 4, 0},  // i32x4.extadd_pairwise_i16x8_s
    {0x7f, Op::kI32x4ExtaddPairwiseI16x8U, SimdForm::kUnary, ValType::kI32, 4, 0},  // i32x4.extadd_pairwise_i16x8_u
    {0x80, Op::kI16x8Abs, SimdForm::kUnary, ValType::kI32, 8, 0},  // i16x8.abs
    {0x81, Op::kI16x8Neg, SimdForm::kUnary, ValType::kI32, 8, 0},  // i16x8.neg
    {0x82, Op::kI16x8Q15mulrSatS, SimdForm::kBinary, ValType::kI32, 8, 0},  // i16x8.q15mulr_sat_s
    {0x83, Op::kI16x8AllTrue, SimdForm::kTest, ValType::kI32, 8, 0},  // i16x8.all_true
    {0x84, Op::kI16x8Bitmask, SimdForm::kTest, ValType::kI32, 8, 0},  // i16x8.bitmask
    {0x85, Op::kI16x8NarrowI32x4S, SimdForm::kBinary, ValType::kI32, 8, 0},  // i16x8.narrow_i32x4_s
    {0x86, Op::kI16x8NarrowI32x4U, SimdForm::kBinary, ValType::kI32, 8, 0},  // i16x8.narrow_i32x4_u
    {0x87, Op::kI16x8ExtendLowI8x16S, SimdForm::kUnary, ValType::kI32, 8, 0},  // i16x8.extend_low_i8x16_s
    {0x88, Op::kI16x8ExtendHighI8x16S, SimdForm::kUnary, ValType::kI32, 8, 0},  // i16x8.extend_high_i8x16_s
    {0x89, Op::kI16x8ExtendLowI8x16U, SimdForm::kUnary, ValType::kI32, 8, 0},  // i16x8.extend_low_i8x16_u
    {0x8a, Op::kI16x8ExtendHighI8x16U, SimdForm::kUnary, ValType::kI32, 8, 0},  // i16x8.extend_high_i8x16_u
    {0x8b, Op::kI16x8Shl, SimdForm::kShift, ValType::kI32, 8, 0},  // i16x8.shl
    {0x8c, Op::kI16x8ShrS, SimdForm::kShift, ValType::kI32, 8, 0},  // i16x8.shr_s
    {0x8d, Op::kI16x8ShrU, SimdForm::kShift, ValType::kI32, 8, 0},  // i16x8.shr_u
    {0x8e, Op::kI16x8Add, SimdForm::kBinary, ValType::kI32, 8, 0},  // i16x8.add
    {0x8f, Op::kI16x8AddSatS, SimdForm::kBinary, ValType::kI32, 8, 0},  // i16x8.add_sat_s
    {0x90, Op::kI16x8AddSatU, SimdForm::kBinary, ValType::kI32, 8, 0},  // i16x8.add_sat_u
    {0x91, Op::kI16x8Sub, SimdForm::kBinary, ValType::kI32, 8, 0},  // i16x8.sub
    {0x92, Op::kI16x8SubSatS, SimdForm::kBinary, ValType::kI32, 8, 0},  // i16x8.sub_sat_s
    {0x93, Op::kI16x8SubSatU, SimdForm::kBinary, ValType::kI32, 8, 0},  // i16x8.sub_sat_u
    {0x94, Op::kF64x2Nearest, SimdForm::kUnary, ValType::kF64, 2, 0},  // f64x2.nearest
    {0x95, Op::kI16x8Mul, SimdForm::kBinary, ValType::kI32, 8, 0},  // i16x8.mul
    {0x96, Op::kI16x8MinS, SimdForm::kBinary, ValType::kI32, 8, 0},  // i16x8.min_s
    {0x97, Op::kI16x8MinU, SimdForm::kBinary, ValType::kI32, 8, 0},  // i16x8.min_u
    {0x98, Op::kI16x8MaxS, SimdForm::kBinary, ValType::kI32, 8, 0},  // i16x8.max_s
    {0x99, Op::kI16x8MaxU, SimdForm::kBinary, ValType::kI32, 8, 0},  // i16x8.max_u
    {0x9b, Op::kI16x8AvgrU, SimdForm::kBinary, ValType::kI32, 8, 0},  // i16x8.avgr_u
    {0x9c, Op::kI16x8ExtmulLowI8x16S, SimdForm::kBinary, ValType::kI32, 8, 0},  // i16x8.extmul_low_i8x16_s
    {0x9d, Op::kI16x8ExtmulHighI8x16S, SimdForm::kBinary, ValType::kI32, 8, 0},  // i16x8.extmul_high_i8x16_s
    {0x9e, Op::kI16x8ExtmulLowI8x16U, SimdForm::kBinary, ValType::kI32, 8, 0},  // i16x8.extmul_low_i8x16_u
    {0x9f, Op::kI16x8ExtmulHighI8x16U, SimdForm::kBinary, ValType::kI32, 8, 0},  // i16x8.extmul_high_i8x16_u
    {0xa0, Op::kI32x4Abs, SimdForm::kUnary, ValType::kI32, 4, 0},  // i32x4.abs
    {0xa1, Op::kI32x4Neg, SimdForm::kUnary, ValType::kI32, 4, 0},  // i32x4.neg
    {0xa3, Op::kI32x4AllTrue, SimdForm::kTest, ValType::kI32, 4, 0},  // i32x4.all_true
    {0xa4, Op::kI32x4Bitmask, SimdForm::kTest, ValType::kI32, 4, 0},  // i32x4.bitmask
    {0xa7, Op::kI32x4ExtendLowI16x8S, SimdForm::kUnary, ValType::kI32, 4, 0},  // i32x4.extend_low_i16x8_s
    {0xa8, Op::kI32x4ExtendHighI16x8S, SimdForm::kUnary, ValType::kI32, 4, 0},  // i32x4.extend_high_i16x8_s
    {0xa9, Op::kI32x4ExtendLowI16x8U, SimdForm::kUnary, ValType::kI32, 4, 0},  // i32x4.extend_low_i16x8_u
    {0xaa, Op::kI32x4ExtendHighI16x8U, SimdForm::kUnary, ValType::kI32, 4, 0},  // i32x4.extend_high_i16x8_u
    {0xab, Op::kI32x4Shl, SimdForm::kShift, ValType::kI32, 4, 0},  // i32x4.shl
    {0xac, Op::kI32x4ShrS, SimdForm::kShift, ValType::kI32, 4, 0},  // i32x4.shr_s
    {0xad, Op::kI32x4ShrU, SimdForm::kShift, ValType::kI32, 4, 0},  // i32x4.shr_u
    {0xae, Op::kI32x4Add, SimdForm::kBinary, ValType::kI32, 4, 0},  // i32x4.add
    {0xb1, Op::kI32x4Sub, SimdForm::kBinary, ValType::kI32, 4, 0},  // i32x4.sub
    {0xb5, Op::kI32x4Mul, SimdForm::kBinary, ValType::kI32, 4, 0},  // i32x4.mul
    {0xb6, Op::kI32x4MinS, SimdForm::kBinary, ValType::kI32, 4, 0},  // i32x4.min_s
    {0xb7, Op::kI32x4MinU, SimdForm::kBinary, ValType::kI32, 4, 0},  // i32x4.min_u
    {0xb8, Op::kI32x4MaxS, SimdForm::kBinary, ValType::kI32, 4, 0},  // i32x4.max_s
    {0xb9, Op::kI32x4MaxU, SimdForm::kBinary, ValType::kI32, 4, 0},  // i32x4.max_u
    {0xba, Op::kI32x4DotI16x8S, SimdForm::kBinary, ValType::kI32, 4, 0},  // i32x4.dot_i16x8_s
    {0xbc, Op::kI32x4ExtmulLowI16x8S, SimdForm::kBinary, ValType::kI32, 4, 0},  // i32x4.extmul_low_i16x8_s
    {0xbd, Op::kI32x4ExtmulHighI16x8S, SimdForm::kBinary, ValType::kI32, 4, 0},  // i32x4.extmul_high_i16x8_s
    {0xbe, Op::kI32x4ExtmulLowI16x8U, SimdForm::kBinary, ValType::kI32, 4, 0},  // i32x4.extmul_low_i16x8_u
    {0xbf, Op::kI32x4ExtmulHighI16x8U, SimdForm::kBinary, ValType::kI32, 4, 0},  // i32x4.extmul_high_i16x8_u
    {0xc0, Op::kI64x2Abs, SimdForm::kUnary, ValType::kI64, 2, 0},  // i64x2.abs
    {0xc1, Op::kI64x2Neg, SimdForm::kUnary, ValType::kI64, 2, 0},  // i64x2.neg
    {0xc3, Op::kI64x2AllTrue, SimdForm::kTest, ValType::kI32, 2, 0},  // i64x2.all_true
    {0xc4, Op::kI64x2Bitmask, SimdForm::kTest, ValType::kI32, 2, 0},  // i64x2.bitmask
    {0xc7, Op::kI64x2ExtendLowI32x4S, SimdForm::kUnary, ValType::kI64, 2, 0},  // i64x2.extend_low_i32x4_s
    {0xc8, Op::kI64x2ExtendHighI32x4S, SimdForm::kUnary, ValType::kI64, 2, 0},  // i64x2.extend_high_i32x4_s
    {0xc9, Op::kI64x2ExtendLowI32x4U, SimdForm::kUnary, ValType::kI64, 2, 0},  // i64x2.extend_low_i32x4_u
    {0xca, Op::kI64x2ExtendHighI32x4U, SimdForm::kUnary, ValType::kI64, 2, 0},  // i64x2.extend_high_i32x4_u
    {0xcb, Op::kI64x2Shl, SimdForm::kShift, ValType::kI32, 2, 0},  // i64x2.shl
    {0xcc, Op::kI64x2ShrS, SimdForm::kShift, ValType::kI32, 2, 0},  // i64x2.shr_s
    {0xcd, Op::kI64x2ShrU, SimdForm::kShift, ValType::kI32, 2, 0},  // i64x2.shr_u
    {0xce, Op::kI64x2Add, SimdForm::kBinary, ValType::kI64, 2, 0},  // i64x2.add
    {0xd1, Op::kI64x2Sub, SimdForm::kBinary, ValType::kI64, 2, 0},  // i64x2.sub
    {0xd5, Op::kI64x2Mul, SimdForm::kBinary, ValType::kI64, 2, 0},  // i64x2.mul
    {0xd6, Op::kI64x2Eq, SimdForm::kBinary, ValType::kI64, 2, 0},  // i64x2.eq
    {0xd7, Op::kI64x2Ne, SimdForm::kBinary, ValType::kI64, 2, 0},  // i64x2.ne
    {0xd8, Op::kI64x2LtS, SimdForm::kBinary, ValType::kI64, 2, 0},  // i64x2.lt_s
    {0xd9, Op::kI64x2GtS, SimdForm::kBinary, ValType::kI64, 2, 0},  // i64x2.gt_s
    {0xda, Op::kI64x2LeS, SimdForm::kBinary, ValType::kI64, 2, 0},  // i64x2.le_s
    {0xdb, Op::kI64x2GeS, SimdForm::kBinary, ValType::kI64, 2, 0},  // i64x2.ge_s
    {0xdc, Op::kI64x2ExtmulLowI32x4S, SimdForm::kBinary, ValType::kI64, 2, 0},  // i64x2.extmul_low_i32x4_s
    {0xdd, Op::kI64x2ExtmulHighI32x4S, SimdForm::kBinary, ValType::kI64, 2, 0},  // i64x2.extmul_high_i32x4_s
    {0xde, Op::kI64x2ExtmulLowI32x4U, SimdForm::kBinary, ValType::kI64, 2, 0},  // i64x2.extmul_low_i32x4_u
    {0xdf, Op::kI64x2ExtmulHighI32x4U, SimdForm::kBinary, ValType::kI64, 2, 0},  // i64x2.extmul_high_i32x4_u
    {0xe0, Op::kF32x4Abs, SimdForm::kUnary, ValType::kF32, 4, 0},  // f32x4.abs
    {0xe1, Op::kF32x4Neg, SimdForm::kUnary, ValType::kF32, 4, 0},  // f32x4.neg
    {0xe3, Op::kF32x4Sqrt, SimdForm::kUnary, ValType::kF32, 4, 0},  // f32x4.sqrt
    {0xe4, Op::kF32x4Add, SimdForm::kBinary, ValType::kF32, 4, 0},  // f32x4.add
    {0xe5, Op::kF32x4Sub, SimdForm::kBinary, ValType::kF32, 4, 0},  // f32x4.sub
    {0xe6, Op::kF32x4Mul, SimdForm::kBinary, ValType::kF32, 4, 0},  // f32x4.mul
    {0xe7, Op::kF32x4Div, SimdForm::kBinary, ValType::kF32, 4, 0},  // f32x4.div
    {0xe8, Op::kF32x4Min, SimdForm::kBinary, ValType::kF32, 4, 0},  // f32x4.min
    {0xe9, Op::kF32x4Max, SimdForm::kBinary, ValType::kF32, 4, 0},  // f32x4.max
    {0xea, Op::kF32x4Pmin, SimdForm::kBinary, ValType::kF32, 4, 0},  // f32x4.pmin
    {0xeb, Op::kF32x4Pmax, SimdForm::kBinary, ValType::kF32, 4, 0},  // f32x4.pmax
    {0xec, Op::kF64x2Abs, SimdForm::kUnary, ValType::kF64, 2, 0},  // f64x2.abs
    {0xed, Op::kF64x2Neg, SimdForm::kUnary, ValType::kF64, 2, 0},  // f64x2.neg
    {0xef, Op::kF64x2Sqrt, SimdForm::kUnary, ValType::kF64, 2, 0},  // f64x2.sqrt
    {0xf0, Op::kF64x2Add, SimdForm::kBinary, ValType::kF64, 2, 0},  // f64x2.add
    {0xf1, Op::kF64x2Sub, SimdForm::kBinary, ValType::kF64, 2, 0},  // f64x2.sub
    {0xf2, Op::kF64x2Mul, SimdForm::kBinary, ValType::kF64, 2, 0},  // f64x2.mul
    {0xf3, Op::kF64x2Div, SimdForm::kBinary, ValType::kF64, 2, 0},  // f64x2.div
    {0xf4, Op::kF64x2Min, SimdForm::kBinary, ValType::kF64, 2, 0},  // f64x2.min
    {0xf5, Op::kF64x2Max, SimdForm::kBinary, ValType::kF64, 2, 0},  // f64x2.max
    {0xf6, Op::kF64x2Pmin, SimdForm::kBinary, ValType::kF64, 2, 0},  // f64x2.pmin
    {0xf7, Op::kF64x2Pmax, SimdForm::kBinary, ValType::kF64, 2, 0},  // f64x2.pmax
    {0xf8, Op::kI32x4TruncSatF32x4S, SimdForm::kUnary, ValType::kI32, 4, 0},  // i32x4.trunc_sat_f32x4_s
    {0xf9, Op::kI32x4TruncSatF32x4U, SimdForm::kUnary, ValType::kI32, 4, 0},  // i32x4.trunc_sat_f32x4_u
    {0xfa, Op::kF32x4ConvertI32x4S, SimdForm::kUnary, ValType::kF32, 4, 0},  // f32x4.convert_i32x4_s
    {0xfb, Op::kF32x4ConvertI32x4U, SimdForm::kUnary, ValType::kF32, 4, 0},  // f32x4.convert_i32x4_u
    {0xfc, Op::kI32x4TruncSatF64x2SZero, SimdForm::kUnary, ValType::kI32, 4, 0},  // i32x4.trunc_sat_f64x2_s_zero
    {0xfd, Op::kI32x4TruncSatF64x2UZero, SimdForm::kUnary, ValType::kI32, 4, 0},  // i32x4.trunc_sat_f64x2_u_zero
    {0xfe, Op::kF64x2ConvertLowI32x4S, SimdForm::kUnary, ValType::kF64, 2, 0},  // f64x2.convert_low_i32x4_s
    {0xff, Op::kF64x2ConvertLowI32x4U, SimdForm::kUnary, ValType::kF64, 2, 0},  // f64x2.convert_low_i32x4_u
};

}  // namespace palisade::wasm
