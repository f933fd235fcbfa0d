/* The deterministic values of the synthetic checkpoint.
 *
 * Every value is a pure function of (seed, tensor name, element index), computed with integer
 * arithmetic and IEEE double operations only (no libm, no FMA contraction), so the file is
 * bit-identical on any machine and compiler that honours IEEE 754. */
#ifndef GEN_SYNTHETIC_VALUES_H
#define GEN_SYNTHETIC_VALUES_H

#include "../engine/model/layout.h"

#include <stdint.h>

/* "whisper!" in ASCII. Changing it changes every weight (and the recorded SHA256). */
#define WL_SYNTH_SEED 0x7768697370657221ULL

/* A standard-normal-like value (mean 0, variance 1, range +-3.46): the centred sum of four
 * 16-bit uniforms (Irwin-Hall) drawn from one splitmix64 output keyed by (seed, name, index). */
double gen_synth_unit(uint64_t seed, const char *name, uint64_t index);

/* Fills out[numel] for one tensor according to its kind:
 *   WEIGHT     0.02 * unit              (HF's init_std)
 *   BIAS       0.02 * unit              (HF starts at 0; non-zero so a dropped bias is visible)
 *   LN_WEIGHT  1 + 0.05 * unit          (HF starts at 1; varied so a dropped gain is visible)
 *   LN_BIAS    0.02 * unit
 *   SINUSOIDS  the float32 sinusoids HF/openai store: sin block then cos block (see .c). */
void gen_synth_fill(uint64_t seed, const wl_tensor_spec *spec, float *out);

/* Double-precision exp/sin/cos built from +,-,*,/ only; exposed for the property test. */
double gen_det_exp(double x);
void gen_det_sincos(double x, double *s, double *c);

#endif
