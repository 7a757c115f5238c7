// An optimisation barrier for constant-time code.
//
// LLVM recognises a mask that can only be 0 or all ones, turns `(x & mask) | (y & ~mask)` back
// into a `select`, and then into a branch, or skips the loads of a table row whose mask is zero.
// Measured here: without the barrier the table lookup of the exponentiation branched on the
// secret window, and the final subtraction of the generic Montgomery loops on the carry.

/// Returns `value` unchanged, through a call the optimiser cannot see into, so that what the
/// caller derives from it keeps the data flow it was written with.
///
/// `@inline(never)` keeps the call; `@_optimize(none)` keeps the body out of the
/// interprocedural analyses that would otherwise prove the result equal to the argument.
@inline(never) @_optimize(none)
func valueBarrier(_ value: UInt64) -> UInt64 {
    value
}
