// KHR_materials_iridescence: the Fresnel reflectance of a thin dielectric film over the
// base (Belcour & Barla 2017, "A Practical Extension to Microfacet Theory for the
// Modeling of Varying Iridescence"): two-interface Airy summation with the spectral
// integral done analytically through Gaussian fits of the CIE XYZ sensitivities.

uniform float u_iridescence_factor;
uniform float u_iridescence_ior;
uniform float u_iridescence_thickness_min;  // nanometres
uniform float u_iridescence_thickness_max;
#ifdef HAS_IRIDESCENCE_MAP
uniform sampler2D u_iridescence_tex;  // factor in red
uniform mat3 u_iridescence_uvt;
#ifndef IRIDESCENCE_MIRROR
#define IRIDESCENCE_MIRROR bvec2(false)
#endif
const bvec2 u_iridescence_mirror = IRIDESCENCE_MIRROR;
#endif
#ifdef HAS_IRIDESCENCE_THICKNESS_MAP
uniform sampler2D u_iridescence_thickness_tex;  // min..max in green
uniform mat3 u_iridescence_thickness_uvt;
#ifndef IRIDESCENCE_THICKNESS_MIRROR
#define IRIDESCENCE_THICKNESS_MIRROR bvec2(false)
#endif
const bvec2 u_iridescence_thickness_mirror = IRIDESCENCE_THICKNESS_MIRROR;
#endif

float ior_to_f0(float transmitted, float incident) {
    float r = (transmitted - incident) / (transmitted + incident);
    return r * r;
}

vec3 ior_to_f0(vec3 transmitted, float incident) {
    vec3 r = (transmitted - incident) / (transmitted + incident);
    return r * r;
}

vec3 f0_to_ior(vec3 f0) {
    vec3 s = sqrt(clamp(f0, 0.0, 0.9999));
    return (1.0 + s) / (1.0 - s);
}

// Linear sRGB response to an optical path difference (nm) with phase ``shift``.
vec3 film_sensitivity(float opd, vec3 shift) {
    float phase = 2.0 * PI * opd * 1.0e-9;
    const vec3 amplitude = vec3(5.4856e-13, 4.4201e-13, 5.2481e-13);
    const vec3 frequency = vec3(1.6810e+06, 1.7953e+06, 2.2084e+06);
    const vec3 variance = vec3(4.3278e+09, 9.3046e+09, 6.6121e+09);
    vec3 xyz = amplitude * sqrt(2.0 * PI * variance) * cos(frequency * phase + shift)
             * exp(-phase * phase * variance);
    xyz.x += 9.7470e-14 * sqrt(2.0 * PI * 4.5282e+09) * cos(2.2399e+06 * phase + shift.x)
           * exp(-4.5282e+09 * phase * phase);
    xyz /= 1.0685e-7;
    const mat3 xyz_to_rgb = mat3(
        3.2404542, -0.9692660, 0.0556434,
        -1.5371385, 1.8760108, -0.2040259,
        -0.4985314, 0.0415560, 1.0572252);
    return xyz_to_rgb * xyz;
}

// Reflectance at cos θ (outside the film, in air) of a film of ``film_ior`` and
// ``thickness`` nm over a base of reflectance ``base_f0``.
vec3 thin_film_fresnel(float cos_theta1, float film_ior, float thickness, vec3 base_f0) {
    // A vanishing film fades to no film (its IOR to the outside's).
    float ior = mix(1.0, film_ior, smoothstep(0.0, 0.03, thickness * 1.0e-3));
    float sin2_theta2 = (1.0 - cos_theta1 * cos_theta1) / (ior * ior);
    float cos2_theta2 = 1.0 - sin2_theta2;
    if (cos2_theta2 <= 0.0) return vec3(1.0);  // total internal reflection
    float cos_theta2 = sqrt(cos2_theta2);
    float r12 = f_schlick(vec3(ior_to_f0(ior, 1.0)), cos_theta1).x;
    float t121 = 1.0 - r12;
    float phi12 = ior < 1.0 ? PI : 0.0;
    float phi21 = PI - phi12;
    vec3 base_ior = f0_to_ior(base_f0);
    vec3 r23 = f_schlick(ior_to_f0(base_ior, ior), cos_theta2);
    vec3 phi23 = mix(vec3(0.0), vec3(PI), lessThan(base_ior, vec3(ior)));
    float opd = 2.0 * ior * thickness * cos_theta2;
    vec3 phi = vec3(phi21) + phi23;
    vec3 r123 = clamp(r12 * r23, 1e-5, 0.9999);
    vec3 sqrt_r123 = sqrt(r123);
    vec3 rs = t121 * t121 * r23 / (1.0 - r123);
    vec3 reflectance = r12 + rs;
    vec3 cm = rs - t121;
    for (int k = 1; k <= 2; ++k) {
        cm *= sqrt_r123;
        reflectance += cm * 2.0 * film_sensitivity(float(k) * opd, float(k) * phi);
    }
    return max(reflectance, vec3(0.0));
}

// The film's share and its Fresnel colour for this view, folded into the material.
void apply_iridescence(inout MaterialInfo m, vec3 n, vec3 v) {
    float factor = u_iridescence_factor;
    float thickness = u_iridescence_thickness_max;
#ifdef HAS_IRIDESCENCE_MAP
    factor *= sample_slot(u_iridescence_tex, u_iridescence_uvt, u_iridescence_mirror,
                          slot_uv(IRIDESCENCE_UV)).r;
#endif
#ifdef HAS_IRIDESCENCE_THICKNESS_MAP
    thickness = mix(u_iridescence_thickness_min, u_iridescence_thickness_max,
                    sample_slot(u_iridescence_thickness_tex, u_iridescence_thickness_uvt,
                                u_iridescence_thickness_mirror,
                                slot_uv(IRIDESCENCE_THICKNESS_UV)).g);
#endif
    float n_dot_v = clamp(dot(n, v), 1e-4, 1.0);
    vec3 dielectric = thin_film_fresnel(n_dot_v, u_iridescence_ior, thickness, m.dielectric_f0);
    vec3 metal = thin_film_fresnel(n_dot_v, u_iridescence_ior, thickness, m.base_color.rgb);
    m.iridescence = thickness > 0.0 ? clamp(factor, 0.0, 1.0) : 0.0;
    // m.f90 is the dielectric's specular weight where metallic is 0
    m.iridescence_fresnel = mix(dielectric * m.f90, metal, m.metallic);
}
