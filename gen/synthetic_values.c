#include "synthetic_values.h"

/* splitmix64's output function (Steele, Lea, Flood 2014): a bijective 64-bit mixer. */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static uint64_t fnv1a64(const char *s)
{
    uint64_t h = 0xCBF29CE484222325ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001B3ULL;
    return h;
}

/* sqrt((65536^2 - 1) / 3): the standard deviation of a sum of four uniforms on 0..65535. */
#define IRWIN_HALL4_SD 37837.22723720648

double gen_synth_unit(uint64_t seed, const char *name, uint64_t index)
{
    uint64_t key = mix64(seed ^ fnv1a64(name));
    uint64_t r = mix64(key + (index + 1) * 0x9E3779B97F4A7C15ULL);
    int64_t s = (int64_t)(r & 0xFFFF) + (int64_t)(r >> 16 & 0xFFFF) + (int64_t)(r >> 32 & 0xFFFF) +
                (int64_t)(r >> 48) - 2 * 65535;
    return (double)s / IRWIN_HALL4_SD;
}

/* exp(x) = 2^k * exp(r), x = k*ln2 + r, |r| <= ln2/2; ln2 split so k*LN2_HI is exact. */
double gen_det_exp(double x)
{
    const double LN2_HI = 6.93147180369123816490e-01, LN2_LO = 1.90821492927058770002e-10;
    double kd = x * 1.44269504088896338700e+00;
    long k = (long)(kd < 0 ? kd - 0.5 : kd + 0.5);
    double r = (x - (double)k * LN2_HI) - (double)k * LN2_LO;
    double term = 1.0, sum = 1.0;
    for (int i = 1; i <= 16; i++) { /* |r| <= 0.347: the 17th term is < 1e-22 */
        term = term * r / (double)i;
        sum += term;
    }
    for (; k > 0; k--) sum *= 2.0; /* exact scaling by powers of two */
    for (; k < 0; k++) sum *= 0.5;
    return sum;
}

/* sin and cos of x >= 0 (up to ~1e6): reduce by pi/2 in three parts (each k*part exact for
 * k < 2^20), then Taylor series on |r| <= pi/4. */
void gen_det_sincos(double x, double *s, double *c)
{
    const double PIO2_1 = 1.57079632673412561417e+00, PIO2_2 = 6.07710050630396597660e-11,
                 PIO2_3 = 2.02226624871116645580e-21;
    long k = (long)(x * 6.36619772367581382433e-01 + 0.5);
    double r = ((x - (double)k * PIO2_1) - (double)k * PIO2_2) - (double)k * PIO2_3;
    double r2 = r * r, sn = 0.0, cs = 0.0, ts = r, tc = 1.0;
    for (int i = 1; i <= 11; i++) { /* 22nd-order terms are < 1e-24 at |r| = pi/4 */
        sn += ts;
        cs += tc;
        ts = -ts * r2 / (double)((2 * i) * (2 * i + 1));
        tc = -tc * r2 / (double)((2 * i - 1) * (2 * i));
    }
    switch (k & 3) {
    case 0: *s = sn, *c = cs; break;
    case 1: *s = cs, *c = -sn; break;
    case 2: *s = -sn, *c = -cs; break;
    default: *s = -cs, *c = sn; break;
    }
}

/* HF's sinusoids(length, channels), float32 at every step as torch computes it:
 *   inv[c]  = f32(exp(f32(-ln(10000)/(channels/2-1)) * c))
 *   x[t][c] = f32(t * inv[c]);  out[t][c] = sin x,  out[t][channels/2 + c] = cos x. */
static void fill_sinusoids(int64_t length, int64_t channels, float *out)
{
    const double LN_10000 = 9.21034037197618273607;
    int64_t half = channels / 2;
    float neg_incr = (float)(-LN_10000 / (double)(half - 1));
    for (int64_t ch = 0; ch < half; ch++) {
        float inv = (float)gen_det_exp((double)(float)(neg_incr * (float)ch));
        for (int64_t t = 0; t < length; t++) {
            float x = (float)t * inv;
            double s, co;
            gen_det_sincos((double)x, &s, &co);
            out[t * channels + ch] = (float)s;
            out[t * channels + half + ch] = (float)co;
        }
    }
}

void gen_synth_fill(uint64_t seed, const wl_tensor_spec *spec, float *out)
{
    int64_t n = wl_spec_numel(spec);
    if (spec->kind == WL_KIND_SINUSOIDS) {
        fill_sinusoids(spec->shape[0], spec->shape[1], out);
        return;
    }
    double scale = spec->kind == WL_KIND_LN_WEIGHT ? 0.05 : 0.02;
    double offset = spec->kind == WL_KIND_LN_WEIGHT ? 1.0 : 0.0;
    for (int64_t i = 0; i < n; i++)
        out[i] = (float)(offset + scale * gen_synth_unit(seed, spec->name, (uint64_t)i));
}
