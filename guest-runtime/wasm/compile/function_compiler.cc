#include "wasm/compile/function_compiler.h"

namespace palisade::wasm {

namespace {
constexpr ValType kUnknown = static_cast<ValType>(0);
}  // namespace

FunctionCompiler::FunctionCompiler(const Module& module, CompiledModule* out,
                                   HandlerTable handlers, const CompileLimits& limits,
                                   bool coverage)
    : m_(module), out_(out), handlers_(handlers), limits_(limits), coverage_(coverage) {}

bool FunctionCompiler::Fail(ErrorKind kind, const char* message) {
  if (error_.ok()) error_ = MakeError(kind, instr_offset_, "code", message);
  return false;
}

// --- block types -------------------------------------------------------------

uint32_t FunctionCompiler::BlockParamCount(int64_t bt) const {
  return bt >= 0 ? m_.types[static_cast<uint32_t>(bt)].param_count : 0;
}
uint32_t FunctionCompiler::BlockResultCount(int64_t bt) const {
  if (bt >= 0) return m_.types[static_cast<uint32_t>(bt)].result_count;
  return bt == -64 ? 0 : 1;
}
ValType FunctionCompiler::BlockParam(int64_t bt, uint32_t i) const {
  return m_.Params(m_.types[static_cast<uint32_t>(bt)])[i];
}
ValType FunctionCompiler::BlockResult(int64_t bt, uint32_t i) const {
  if (bt >= 0) return m_.Results(m_.types[static_cast<uint32_t>(bt)])[i];
  return static_cast<ValType>(static_cast<uint8_t>(bt & 0x7f));
}
uint32_t FunctionCompiler::LabelArity(const Ctrl& c) const {
  return c.kind == CtrlKind::kLoop ? BlockParamCount(c.block_type)
                                   : BlockResultCount(c.block_type);
}
ValType FunctionCompiler::LabelType(const Ctrl& c, uint32_t i) const {
  return c.kind == CtrlKind::kLoop ? BlockParam(c.block_type, i) : BlockResult(c.block_type, i);
}

bool FunctionCompiler::ReadBlockType(int64_t* bt) {
  int64_t v = r_.S33();
  if (!r_.ok()) return false;
  if (v >= 0) {
    if (v >= static_cast<int64_t>(m_.types.size())) return Invalid("unknown type");
    *bt = v;
    return true;
  }
  if (v == -64) {  // 0x40: empty
    *bt = v;
    return true;
  }
  switch (static_cast<uint8_t>(v & 0x7f)) {
    case 0x7f: case 0x7e: case 0x7d: case 0x7c: case 0x7b: case 0x70: case 0x6f:
      *bt = v;
      return true;
    default:
      return Fail(ErrorKind::kMalformed, "malformed block type");
  }
}

// --- emission ------------------------------------------------------------------

bool FunctionCompiler::Emit(Op op, const uint32_t* operands, uint32_t n) {
  if (!live()) return true;
  if (code_size() + 2 + n > limits_.max_code_words) {
    return Fail(ErrorKind::kLimit, "function code too large");
  }
  uint32_t at = code_size();
  if (out_->positions.empty() || out_->positions.back().wasm_offset != instr_offset_ ||
      out_->positions.size() <= fn_->positions_begin) {
    if (!out_->positions.push_back(SourcePosition{at, instr_offset_})) {
      return Fail(ErrorKind::kOutOfMemory, "out of memory");
    }
  }
  uint64_t h = reinterpret_cast<uintptr_t>(handlers_[static_cast<uint32_t>(op)]);
  uint32_t words[2] = {static_cast<uint32_t>(h), static_cast<uint32_t>(h >> 32)};
  if (!out_->code.append(words, 2) || !out_->code.append(operands, n)) {
    return Fail(ErrorKind::kOutOfMemory, "out of memory");
  }
  last_instr_ = at;
  last_dst_word_ = kNoWord;
  last_cmp_ = false;
  last_op_ = op;
  last_wasm_offset_ = instr_offset_;
  return true;
}

bool FunctionCompiler::JustProduced(const Entry& e, Op op) const {
  return last_op_ == op && e.kind == Kind::kTemp && last_dst_word_ != kNoWord &&
         out_->code[last_dst_word_] == e.home;
}

void FunctionCompiler::TakeBackLast() {
  out_->code.shrink(last_instr_);
  while (out_->positions.size() > fn_->positions_begin &&
         out_->positions.back().code_word >= last_instr_) {
    out_->positions.pop_back();
  }
  ForgetLast();
}

bool FunctionCompiler::EmitConst(uint32_t dst, ValType t, uint64_t bits) {
  if (t == ValType::kI32 || t == ValType::kF32) {
    return Emit2(Op::kConst32, dst, static_cast<uint32_t>(bits));
  }
  return Emit3(Op::kConst64, dst, static_cast<uint32_t>(bits), static_cast<uint32_t>(bits >> 32));
}

bool FunctionCompiler::EmitCopy(uint32_t dst, uint32_t src) {
  if (dst == src) return true;
  if (last_op_ == Op::kCopy) {
    // Runs of copies (a local shuffle, a block's results) pair up.
    uint32_t d1 = out_->code[last_instr_ + 2], s1 = out_->code[last_instr_ + 3];
    TakeBackLast();
    return Emit4(Op::kCopy2, d1, s1, dst, src);
  }
  return Emit2(Op::kCopy, dst, src);
}

bool FunctionCompiler::EmitMove(uint32_t dst, uint32_t src, ValType t) {
  if (!EmitCopy(dst, src)) return false;
  // Ascending order: moves only ever go to the same or a lower slot.
  return SlotsOf(t) == 1 || EmitCopy(dst + 1, src + 1);
}

// --- the operand stack -------------------------------------------------------

uint32_t FunctionCompiler::LabelHome(const Ctrl& c, uint32_t i) const {
  uint32_t home = HomeAt(c.height);
  for (uint32_t j = 0; j < i; ++j) home += SlotsOf(LabelType(c, j));
  return home;
}

bool FunctionCompiler::Push(const Entry& e) {
  if (height() >= limits_.max_stack_height) {
    return Fail(ErrorKind::kLimit, "operand stack too deep");
  }
  if (!stack_.push_back(e)) return Fail(ErrorKind::kOutOfMemory, "out of memory");
  if (e.home + SlotsOf(e.type) > max_slot_) max_slot_ = e.home + SlotsOf(e.type);
  if (e.kind == Kind::kLocal) ++local_refs_[e.local];
  return true;
}

bool FunctionCompiler::PushTemp(ValType t, uint32_t* slot) {
  Entry e{t, Kind::kTemp, HomeAt(height()), 0, 0};
  *slot = e.home;
  return Push(e);
}

bool FunctionCompiler::PushConst(ValType t, uint64_t bits) {
  return Push(Entry{t, Kind::kConst, HomeAt(height()), 0, bits});
}

bool FunctionCompiler::PushLocal(uint32_t local) {
  return Push(Entry{local_types_[local], Kind::kLocal, HomeAt(height()), local, 0});
}

void FunctionCompiler::Drop(const Entry& e) {
  if (e.kind == Kind::kLocal) --local_refs_[e.local];
}

bool FunctionCompiler::PopAny(Entry* out) {
  Ctrl& c = ctrl_.back();
  if (height() == c.height) {
    if (!c.unreachable) return Invalid("type mismatch");
    *out = Entry{kUnknown, Kind::kTemp, HomeAt(height()), 0, 0};
    return true;
  }
  *out = stack_.back();
  stack_.pop_back();
  Drop(*out);
  if (watermark_ > height()) watermark_ = height();
  return true;
}

bool FunctionCompiler::Pop(ValType expected, Entry* out) {
  if (!PopAny(out)) return false;
  if (out->type != expected && out->type != kUnknown && expected != kUnknown) {
    return Invalid("type mismatch");
  }
  if (out->type == kUnknown) out->type = expected;
  return true;
}

bool FunctionCompiler::SlotOf(const Entry& e, uint32_t* slot) {
  switch (e.kind) {
    case Kind::kTemp: *slot = e.home; return true;
    case Kind::kLocal: *slot = LocalSlot(e.local); return true;
    case Kind::kConst: *slot = e.home; return EmitConst(e.home, e.type, e.bits);
  }
  return true;
}

bool FunctionCompiler::Materialize(uint32_t index) {
  Entry& e = stack_[index];
  if (e.kind == Kind::kTemp) return true;
  bool ok = e.kind == Kind::kLocal ? EmitMove(e.home, LocalSlot(e.local), e.type)
                                    : EmitConst(e.home, e.type, e.bits);
  if (e.kind == Kind::kLocal) --local_refs_[e.local];
  e.kind = Kind::kTemp;
  return ok;
}

bool FunctionCompiler::MaterializeRange(uint32_t from, uint32_t to) {
  for (uint32_t i = from; i < to; ++i) {
    if (!Materialize(i)) return false;
  }
  return true;
}

// A local is about to change: stack entries that still name it must get its
// old value first. Entries naming a local sit near the top in practice, and
// each is copied at most once, so scanning down until none are left is
// amortised O(1) per instruction.
bool FunctionCompiler::PreserveLocal(uint32_t local) {
  for (uint32_t i = height(); i > 0 && local_refs_[local] > 0; --i) {
    Entry& e = stack_[i - 1];
    if (e.kind == Kind::kLocal && e.local == local && !Materialize(i - 1)) return false;
  }
  return true;
}

// At a block boundary every entry below it must live in its home slot: a
// `local.set` inside the block must not have to copy an outer entry on one
// path only (or once per loop iteration). The watermark makes each entry
// pay for this at most once.
bool FunctionCompiler::MaterializeBelowBlock() {
  for (uint32_t i = watermark_; i < height(); ++i) {
    if (stack_[i].kind == Kind::kLocal && !Materialize(i)) return false;
  }
  watermark_ = height();
  return true;
}

// --- control -------------------------------------------------------------------

bool FunctionCompiler::PushCtrl(CtrlKind kind, int64_t bt) {
  if (ctrl_.size() >= limits_.max_nesting) {
    return Fail(ErrorKind::kLimit, "blocks nested too deeply");
  }
  uint32_t params = BlockParamCount(bt);
  // Check the params are on the stack with the right types.
  Ctrl& cur = ctrl_.back();
  for (uint32_t i = 0; i < params; ++i) {
    uint32_t idx = params - 1 - i;
    ValType want = BlockParam(bt, idx);
    if (height() - cur.height < i + 1) {
      if (!cur.unreachable) return Invalid("type mismatch");
      // Polymorphic stack: fabricate the missing params.
      continue;
    }
    ValType got = stack_[height() - 1 - i].type;
    if (got != want && got != kUnknown) return Invalid("type mismatch");
  }
  // In unreachable code the params may be missing; pad them.
  uint32_t available = height() - cur.height;
  if (available < params) {
    // Insert unknown entries below the present ones.
    Vec<Entry> saved;
    for (uint32_t i = 0; i < available; ++i) {
      if (!saved.push_back(stack_.back())) return Fail(ErrorKind::kOutOfMemory, "out of memory");
      Drop(stack_.back());
      stack_.pop_back();
    }
    for (uint32_t i = 0; i < params - available; ++i) {
      if (!Push(Entry{BlockParam(bt, i), Kind::kTemp, HomeAt(height()), 0, 0})) return false;
    }
    for (uint32_t i = available; i > 0; --i) {
      Entry e = saved[i - 1];
      e.home = HomeAt(height());
      if (!Push(e)) return false;
    }
  }
  // Give unknown-typed params their declared types.
  for (uint32_t i = 0; i < params; ++i) {
    Entry& e = stack_[height() - params + i];
    if (e.type == kUnknown) e.type = BlockParam(bt, i);
  }
  if (!MaterializeBelowBlock() || !MaterializeRange(height() - params, height())) return false;
  Ctrl c{};
  c.kind = kind;
  // A new block's operand stack is not polymorphic even in dead code; it
  // just emits nothing.
  c.unreachable = false;
  c.dead = !live();
  c.height = height() - params;
  c.block_type = bt;
  c.loop_word = 0;
  c.fixups = kNoFixup;
  c.has_else_fixup = false;
  if (!ctrl_.push_back(c)) return Fail(ErrorKind::kOutOfMemory, "out of memory");
  ForgetLast();
  return true;
}

bool FunctionCompiler::AddFixup(Ctrl& c, uint32_t word, uint32_t instr) {
  if (!fixups_.push_back(Fixup{word, instr, c.fixups})) {
    return Fail(ErrorKind::kOutOfMemory, "out of memory");
  }
  c.fixups = static_cast<uint32_t>(fixups_.size() - 1);
  return true;
}

void FunctionCompiler::PatchFixups(uint32_t head, uint32_t target) {
  for (uint32_t f = head; f != kNoFixup; f = fixups_[f].next) {
    out_->code[fixups_[f].word] = target - fixups_[f].instr;
  }
}

void FunctionCompiler::SetUnreachable() {
  Ctrl& c = ctrl_.back();
  while (height() > c.height) {
    Drop(stack_.back());
    stack_.pop_back();
  }
  if (watermark_ > height()) watermark_ = height();
  c.unreachable = true;
  ForgetLast();
}

// True if the top `arity` values are not already in the label's homes.
bool FunctionCompiler::MovesNeeded(const Ctrl& c, uint32_t arity) const {
  uint32_t h = height();
  for (uint32_t i = 0; i < arity; ++i) {
    const Entry& e = stack_[h - arity + i];
    if (e.kind != Kind::kTemp || e.home != LabelHome(c, i)) return true;
  }
  return false;
}

// Copies the top `arity` values into the label's homes. Sources sit at or
// above their destinations, so copying upwards never overwrites a source.
bool FunctionCompiler::EmitMovesToLabel(const Ctrl& c, uint32_t arity) {
  uint32_t h = height();
  for (uint32_t i = 0; i < arity; ++i) {
    const Entry& e = stack_[h - arity + i];
    uint32_t dst = LabelHome(c, i);
    switch (e.kind) {
      case Kind::kTemp: if (!EmitMove(dst, e.home, e.type)) return false; break;
      case Kind::kLocal: if (!EmitMove(dst, LocalSlot(e.local), e.type)) return false; break;
      case Kind::kConst: if (!EmitConst(dst, e.type, e.bits)) return false; break;
    }
  }
  return true;
}

// Emits a jump-like instruction whose last operand is a branch offset to
// label `c` (patched later for forward labels).
bool FunctionCompiler::EmitJumpTo(Ctrl& c, Op op, const uint32_t* operands, uint32_t n) {
  if (!live()) return true;
  uint32_t words[4];
  for (uint32_t i = 0; i < n; ++i) words[i] = operands[i];
  uint32_t instr = code_size();
  words[n] = 0;
  if (!Emit(op, words, n + 1)) return false;
  uint32_t word = instr + 2 + n;
  if (c.kind == CtrlKind::kLoop) {
    out_->code[word] = c.loop_word - instr;
    return true;
  }
  return AddFixup(c, word, instr);
}

// Checks (without popping) that the values label `target` expects are on
// top of the stack.
bool FunctionCompiler::CheckLabelTypes(const Ctrl& target) {
  uint32_t arity = LabelArity(target);
  const Ctrl& cur = ctrl_.back();
  for (uint32_t i = 0; i < arity; ++i) {
    uint32_t from_top = arity - 1 - i;
    if (height() - cur.height <= from_top) {
      if (!cur.unreachable) return Invalid("type mismatch");
      continue;
    }
    ValType got = stack_[height() - 1 - from_top].type;
    if (got != LabelType(target, i) && got != kUnknown) return Invalid("type mismatch");
  }
  return true;
}

// Leaves for label `target` with its values on top of the stack: a branch
// to the function's own label is a return.
bool FunctionCompiler::EmitExit(Ctrl& target) {
  if (!live()) return true;
  if (target.kind == CtrlKind::kFunc) return EmitReturn();
  if (!EmitMovesToLabel(target, LabelArity(target))) return false;
  return EmitJumpTo(target, Op::kJmp, nullptr, 0);
}

bool FunctionCompiler::BranchTo(uint32_t depth) {
  Ctrl& target = ctrl_[ctrl_.size() - 1 - depth];
  if (!CheckLabelTypes(target)) return false;
  return EmitExit(target);
}

bool FunctionCompiler::EmitReturn() {
  uint32_t n = type_->result_count;
  if (!live()) return true;
  uint32_t h = height();
  if (n == 1 && SlotsOf(stack_[h - 1].type) == 1) {
    uint32_t src = 0;
    if (!SlotOf(stack_[h - 1], &src)) return false;
    return Emit1(Op::kReturn1, src);
  }
  // Results go to slots [0, n). Put them all in their homes first so no
  // copy reads a local that an earlier copy overwrote. The stack entries
  // keep their kinds: this code may run on one path only (a br_if or
  // br_table exit), and the other paths must not assume the copies ran.
  for (uint32_t i = h - n; i < h; ++i) {
    const Entry& e = stack_[i];
    if (e.kind == Kind::kLocal && !EmitMove(e.home, LocalSlot(e.local), e.type)) return false;
    if (e.kind == Kind::kConst && !EmitConst(e.home, e.type, e.bits)) return false;
  }
  for (uint32_t i = 0, slot = 0; i < n; ++i) {
    const Entry& e = stack_[h - n + i];
    if (!EmitMove(slot, e.home, e.type)) return false;
    slot += SlotsOf(e.type);
  }
  return Emit0(Op::kReturn);
}

// Pops and checks the values at the end of block `c`; they must be exactly
// the block's results.
bool FunctionCompiler::PopCtrlValues(const Ctrl& c) {
  uint32_t n = BlockResultCount(c.block_type);
  for (uint32_t i = n; i > 0; --i) {
    Entry e;
    if (!Pop(BlockResult(c.block_type, i - 1), &e)) return false;
  }
  if (height() != c.height) return Invalid("type mismatch");
  return true;
}

// --- the body -------------------------------------------------------------------

bool FunctionCompiler::ReadLocals() {
  const Function& f = m_.functions[fn_->func_index - m_.imported_funcs];
  uint32_t params = type_->param_count;
  uint64_t total = static_cast<uint64_t>(params) + f.local_count;
  if (!local_types_.reserve(total) || !local_slot_.reserve(total) || !local_refs_.resize(total)) {
    return Fail(ErrorKind::kOutOfMemory, "out of memory");
  }
  uint32_t slot = 0;
  auto add = [&](ValType t) {
    (void)local_types_.push_back(t);
    (void)local_slot_.push_back(slot);
    slot += SlotsOf(t);
  };
  for (uint32_t i = 0; i < params; ++i) add(m_.Params(*type_)[i]);
  uint32_t param_slots = slot;
  for (uint32_t r = 0; r < f.local_run_count; ++r) {
    const LocalRun& run = m_.local_runs[f.local_run_offset + r];
    for (uint32_t i = 0; i < run.count; ++i) add(run.type);
  }
  fn_->param_slots = param_slots;
  fn_->local_slots = slot - param_slots;
  first_temp_ = slot;
  uint32_t result_slots = 0;
  for (uint32_t i = 0; i < type_->result_count; ++i) result_slots += SlotsOf(m_.Results(*type_)[i]);
  max_slot_ = first_temp_ > result_slots ? first_temp_ : result_slots;
  return true;
}

Error FunctionCompiler::Compile(uint32_t defined_index) {
  error_ = Error();
  const Function& f = m_.functions[defined_index];
  CompiledFunction cf;
  cf.func_index = m_.imported_funcs + defined_index;
  cf.type_index = f.type_index;
  if (!out_->functions.push_back(cf)) {
    return MakeError(ErrorKind::kOutOfMemory, f.body.offset, "code", "out of memory");
  }
  fn_ = &out_->functions.back();
  type_ = &m_.types[f.type_index];
  fn_->result_count = type_->result_count;
  fn_->code_begin = code_size();
  fn_->positions_begin = static_cast<uint32_t>(out_->positions.size());
  instr_offset_ = f.code.offset;
  local_types_.clear();
  local_slot_.clear();
  local_refs_.clear();
  stack_.clear();
  ctrl_.clear();
  fixups_.clear();
  watermark_ = 0;
  ForgetLast();
  r_ = Reader(m_.bytes + f.code.offset, f.code.size, f.code.offset);
  r_.set_section("code");
  if (ReadLocals()) (void)CompileBody();
  if (error_.ok() && !r_.ok()) error_ = r_.error();
  fn_->code_end = code_size();
  fn_->positions_end = static_cast<uint32_t>(out_->positions.size());
  fn_->frame_slots = max_slot_;
  return error_;
}

bool FunctionCompiler::CompileBody() {
  Ctrl c{};
  c.kind = CtrlKind::kFunc;
  c.unreachable = false;
  c.dead = false;
  c.height = 0;
  c.fixups = kNoFixup;
  // The function's block type is its type index.
  c.block_type = fn_->type_index;
  if (!ctrl_.push_back(c)) return Fail(ErrorKind::kOutOfMemory, "out of memory");
  // Fuel and interrupts are checked on entry to every function.
  if (!Emit0(Op::kLoopCheck) || !EmitBlockProbe()) return false;
  while (!ctrl_.empty()) {
    if (r_.at_end()) {
      return Fail(ErrorKind::kMalformed, "unexpected end of section or function");
    }
    instr_offset_ = r_.offset();
    uint8_t opcode = r_.U8();
    if (!r_.ok() || !CompileInstruction(opcode)) return false;
  }
  if (!r_.at_end()) {
    return Fail(ErrorKind::kMalformed, "section size mismatch");
  }
  return true;
}

}  // namespace palisade::wasm
