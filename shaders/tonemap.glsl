// Tone mapping of linear radiance to display range, chosen per job by TONE_MAPPING:
// 0 Khronos PBR Neutral (the default look: base colours faithful up to ~0.8, highlights
// rolled off), 1 ACES filmic exactly as three.js (and so model-viewer and the Khronos
// fidelity harnesses) applies it, exposure / 0.6 included, 2 none (a clamp: physical
// tests). The sRGB transfer function for 8-bit output is linear_to_srgb. A define, not a
// uniform: llvmpipe would run every operator for every fragment (≈2 ms of a DamagedHelmet
// share frame).

#ifndef TONE_MAPPING
#define TONE_MAPPING 0
#endif

vec3 pbr_neutral(vec3 color) {
    const float start = 0.8 - 0.04;
    const float desaturation = 0.15;
    float x = min(color.r, min(color.g, color.b));
    float offset = x < 0.08 ? x - 6.25 * x * x : 0.04;
    color -= offset;
    float peak = max(color.r, max(color.g, color.b));
    if (peak < start) return color;
    float d = 1.0 - start;
    float new_peak = 1.0 - d * d / (peak + d - start);
    color *= new_peak / peak;
    float g = 1.0 - 1.0 / (desaturation * (peak - new_peak) + 1.0);
    return mix(color, vec3(new_peak), g);
}

// three.js ACESFilmicToneMapping (Stephen Hill's fit of the RRT + ODT).
vec3 aces_filmic(vec3 color) {
    const mat3 input_mat = mat3(
        vec3(0.59719, 0.07600, 0.02840),
        vec3(0.35458, 0.90834, 0.13383),
        vec3(0.04823, 0.01566, 0.83777));
    const mat3 output_mat = mat3(
        vec3(1.60475, -0.10208, -0.00327),
        vec3(-0.53108, 1.10813, -0.07276),
        vec3(-0.07367, -0.00605, 1.07602));
    color = input_mat * (color / 0.6);
    vec3 a = color * (color + 0.0245786) - 0.000090537;
    vec3 b = color * (0.983729 * color + 0.4329510) + 0.238081;
    return output_mat * (a / b);
}

vec3 tone_map(vec3 color) {
#if TONE_MAPPING == 0
    color = pbr_neutral(color);
#elif TONE_MAPPING == 1
    color = aces_filmic(color);
#endif
    return clamp(color, 0.0, 1.0);
}

vec3 linear_to_srgb(vec3 c) {
    c = clamp(c, 0.0, 1.0);
    return mix(12.92 * c, 1.055 * pow(c, vec3(1.0 / 2.4)) - 0.055, step(0.0031308, c));
}
