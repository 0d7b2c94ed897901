// Material inputs, gathered from factors, textures and vertex colours into one struct
// that the lighting code consumes: the metallic-roughness model, and each material
// extension only where the loader defined its switch (MATERIAL_*, SPECULAR_GLOSSINESS).

#include "textures.glsl"

uniform vec4 u_base_color_factor;
uniform float u_metallic_factor;
uniform float u_roughness_factor;
uniform float u_normal_scale;
uniform float u_occlusion_strength;
uniform vec3 u_emissive_factor;
uniform float u_alpha_cutoff;

#ifdef HAS_BASE_COLOR_MAP
uniform sampler2D u_base_color_tex;
uniform mat3 u_base_color_uvt;
#ifndef BASE_COLOR_MIRROR
#define BASE_COLOR_MIRROR bvec2(false)
#endif
const bvec2 u_base_color_mirror = BASE_COLOR_MIRROR;
#endif
#ifdef HAS_METALLIC_ROUGHNESS_MAP
uniform sampler2D u_metallic_roughness_tex;
uniform mat3 u_metallic_roughness_uvt;
#ifndef METALLIC_ROUGHNESS_MIRROR
#define METALLIC_ROUGHNESS_MIRROR bvec2(false)
#endif
const bvec2 u_metallic_roughness_mirror = METALLIC_ROUGHNESS_MIRROR;
#endif
#ifdef HAS_NORMAL_MAP
uniform sampler2D u_normal_tex;
uniform mat3 u_normal_uvt;
#ifndef NORMAL_MIRROR
#define NORMAL_MIRROR bvec2(false)
#endif
const bvec2 u_normal_mirror = NORMAL_MIRROR;
#endif
#ifdef HAS_OCCLUSION_MAP
uniform sampler2D u_occlusion_tex;
uniform mat3 u_occlusion_uvt;
#ifndef OCCLUSION_MIRROR
#define OCCLUSION_MIRROR bvec2(false)
#endif
const bvec2 u_occlusion_mirror = OCCLUSION_MIRROR;
#endif
#ifdef HAS_EMISSIVE_MAP
uniform sampler2D u_emissive_tex;
uniform mat3 u_emissive_uvt;
#ifndef EMISSIVE_MIRROR
#define EMISSIVE_MIRROR bvec2(false)
#endif
const bvec2 u_emissive_mirror = EMISSIVE_MIRROR;
#endif

#ifdef SPECULAR_GLOSSINESS
uniform vec3 u_specular_factor;
uniform float u_glossiness_factor;
#ifdef HAS_SPECULAR_GLOSSINESS_MAP
uniform sampler2D u_specular_glossiness_tex;  // sRGB specular, linear glossiness in alpha
uniform mat3 u_specular_glossiness_uvt;
#ifndef SPECULAR_GLOSSINESS_MIRROR
#define SPECULAR_GLOSSINESS_MIRROR bvec2(false)
#endif
const bvec2 u_specular_glossiness_mirror = SPECULAR_GLOSSINESS_MIRROR;
#endif
#endif

#ifdef MATERIAL_IOR
uniform float u_ior;
#endif

#ifdef MATERIAL_SPECULAR
uniform float u_specular_strength;
uniform vec3 u_specular_color_factor;
#ifdef HAS_SPECULAR_MAP
uniform sampler2D u_specular_tex;  // strength in alpha
uniform mat3 u_specular_uvt;
#ifndef SPECULAR_MIRROR
#define SPECULAR_MIRROR bvec2(false)
#endif
const bvec2 u_specular_mirror = SPECULAR_MIRROR;
#endif
#ifdef HAS_SPECULAR_COLOR_MAP
uniform sampler2D u_specular_color_tex;  // sRGB
uniform mat3 u_specular_color_uvt;
#ifndef SPECULAR_COLOR_MIRROR
#define SPECULAR_COLOR_MIRROR bvec2(false)
#endif
const bvec2 u_specular_color_mirror = SPECULAR_COLOR_MIRROR;
#endif
#endif

#ifdef MATERIAL_CLEARCOAT
uniform float u_clearcoat_factor;
uniform float u_clearcoat_roughness_factor;
uniform float u_clearcoat_normal_scale;
#ifdef HAS_CLEARCOAT_MAP
uniform sampler2D u_clearcoat_tex;  // strength in red
uniform mat3 u_clearcoat_uvt;
#ifndef CLEARCOAT_MIRROR
#define CLEARCOAT_MIRROR bvec2(false)
#endif
const bvec2 u_clearcoat_mirror = CLEARCOAT_MIRROR;
#endif
#ifdef HAS_CLEARCOAT_ROUGHNESS_MAP
uniform sampler2D u_clearcoat_roughness_tex;  // roughness in green
uniform mat3 u_clearcoat_roughness_uvt;
#ifndef CLEARCOAT_ROUGHNESS_MIRROR
#define CLEARCOAT_ROUGHNESS_MIRROR bvec2(false)
#endif
const bvec2 u_clearcoat_roughness_mirror = CLEARCOAT_ROUGHNESS_MIRROR;
#endif
#ifdef HAS_CLEARCOAT_NORMAL_MAP
uniform sampler2D u_clearcoat_normal_tex;
uniform mat3 u_clearcoat_normal_uvt;
#ifndef CLEARCOAT_NORMAL_MIRROR
#define CLEARCOAT_NORMAL_MIRROR bvec2(false)
#endif
const bvec2 u_clearcoat_normal_mirror = CLEARCOAT_NORMAL_MIRROR;
#endif
#endif

#ifdef MATERIAL_SHEEN
uniform vec3 u_sheen_color_factor;
uniform float u_sheen_roughness_factor;
#ifdef HAS_SHEEN_COLOR_MAP
uniform sampler2D u_sheen_color_tex;  // sRGB
uniform mat3 u_sheen_color_uvt;
#ifndef SHEEN_COLOR_MIRROR
#define SHEEN_COLOR_MIRROR bvec2(false)
#endif
const bvec2 u_sheen_color_mirror = SHEEN_COLOR_MIRROR;
#endif
#ifdef HAS_SHEEN_ROUGHNESS_MAP
uniform sampler2D u_sheen_roughness_tex;  // roughness in alpha
uniform mat3 u_sheen_roughness_uvt;
#ifndef SHEEN_ROUGHNESS_MIRROR
#define SHEEN_ROUGHNESS_MIRROR bvec2(false)
#endif
const bvec2 u_sheen_roughness_mirror = SHEEN_ROUGHNESS_MIRROR;
#endif
#endif

#ifdef MATERIAL_TRANSMISSION
uniform float u_transmission_factor;
#ifdef HAS_TRANSMISSION_MAP
uniform sampler2D u_transmission_tex;  // red
uniform mat3 u_transmission_uvt;
#ifndef TRANSMISSION_MIRROR
#define TRANSMISSION_MIRROR bvec2(false)
#endif
const bvec2 u_transmission_mirror = TRANSMISSION_MIRROR;
#endif
#ifdef MATERIAL_VOLUME
uniform float u_thickness_factor;
uniform vec3 u_attenuation_color;
uniform float u_attenuation_distance;  // 0 = no attenuation (infinite distance)
#ifdef HAS_THICKNESS_MAP
uniform sampler2D u_thickness_tex;  // green
uniform mat3 u_thickness_uvt;
#ifndef THICKNESS_MIRROR
#define THICKNESS_MIRROR bvec2(false)
#endif
const bvec2 u_thickness_mirror = THICKNESS_MIRROR;
#endif
#endif
#endif

#ifdef MATERIAL_ANISOTROPY
uniform float u_anisotropy_strength;
uniform vec2 u_anisotropy_rotation;  // (cos, sin)
#ifdef HAS_ANISOTROPY_MAP
uniform sampler2D u_anisotropy_tex;  // RG direction in tangent space, B strength
uniform mat3 u_anisotropy_uvt;
#ifndef ANISOTROPY_MIRROR
#define ANISOTROPY_MIRROR bvec2(false)
#endif
const bvec2 u_anisotropy_mirror = ANISOTROPY_MIRROR;
#endif
#endif

struct MaterialInfo {
    vec4 base_color;     // linear, straight alpha
    float metallic;
    float roughness;     // perceptual
    float occlusion;
    vec3 emissive;
    vec3 diffuse_color;  // Lambert albedo
    vec3 f0;             // reflectance at normal incidence
    vec3 f90;            // reflectance at grazing angles (the dielectric's specular weight)
    vec3 dielectric_f0;  // F0 of the non-metal part, before the specular weight
    float ior;
#ifdef MATERIAL_CLEARCOAT
    float clearcoat;
    float clearcoat_roughness;
#endif
#ifdef MATERIAL_SHEEN
    vec3 sheen_color;
    float sheen_roughness;
#endif
#ifdef MATERIAL_TRANSMISSION
    float transmission;
    float thickness;     // in the mesh's own units (0 = a thin surface)
#endif
#ifdef MATERIAL_IRIDESCENCE
    float iridescence;         // the film's share
    vec3 iridescence_fresnel;  // its reflectance for this view
#endif
#ifdef MATERIAL_ANISOTROPY
    float anisotropy;    // strength
    vec3 anisotropy_t;   // world direction the highlights stretch along
    vec3 anisotropy_b;
#endif
};

vec2 slot_uv(int set) {
#if defined(HAS_UV1) && defined(HAS_UV0)
    return set == 1 ? v_uv1 : v_uv0;
#elif defined(HAS_UV0)
    return v_uv0;
#else
    return vec2(0.0);
#endif
}

vec4 material_base_color() {
    vec4 color = u_base_color_factor;
#ifdef HAS_BASE_COLOR_MAP
    // sRGB texture: decoded to linear by GL
    color *= sample_slot(u_base_color_tex, u_base_color_uvt, u_base_color_mirror,
                         slot_uv(BASE_COLOR_UV));
#endif
#ifdef HAS_COLOR0
    color *= v_color0;
#endif
    return color;
}

float max3(vec3 c) {
    return max(c.r, max(c.g, c.b));
}

MaterialInfo material_info() {
    MaterialInfo m;
    m.base_color = material_base_color();
    m.metallic = u_metallic_factor;
    m.roughness = u_roughness_factor;
#ifdef HAS_METALLIC_ROUGHNESS_MAP
    vec4 mr = sample_slot(u_metallic_roughness_tex, u_metallic_roughness_uvt,
                          u_metallic_roughness_mirror, slot_uv(METALLIC_ROUGHNESS_UV));
    m.metallic *= mr.b;
    m.roughness *= mr.g;
#endif
    m.metallic = clamp(m.metallic, 0.0, 1.0);
    m.ior = 1.5;
    vec3 dielectric_f0 = vec3(0.04);
    float specular_weight = 1.0;
#ifdef MATERIAL_IOR
    m.ior = u_ior;
    float r = (u_ior - 1.0) / (u_ior + 1.0);
    dielectric_f0 = vec3(r * r);
#endif
#ifdef MATERIAL_SPECULAR
    vec3 specular_color = u_specular_color_factor;
#ifdef HAS_SPECULAR_COLOR_MAP
    specular_color *= sample_slot(u_specular_color_tex, u_specular_color_uvt,
                                  u_specular_color_mirror, slot_uv(SPECULAR_COLOR_UV)).rgb;
#endif
    specular_weight = u_specular_strength;
#ifdef HAS_SPECULAR_MAP
    specular_weight *= sample_slot(u_specular_tex, u_specular_uvt, u_specular_mirror,
                                   slot_uv(SPECULAR_UV)).a;
#endif
    dielectric_f0 = min(dielectric_f0 * specular_color, vec3(1.0));
#endif
    m.diffuse_color = m.base_color.rgb * (1.0 - m.metallic);
    m.dielectric_f0 = dielectric_f0;
    m.f0 = mix(dielectric_f0 * specular_weight, m.base_color.rgb, m.metallic);
    m.f90 = vec3(mix(specular_weight, 1.0, m.metallic));
#ifdef SPECULAR_GLOSSINESS
    // The extension's own model: F0 is the specular colour, diffuse keeps what F0 leaves.
    vec3 specular = u_specular_factor;
    float glossiness = u_glossiness_factor;
#ifdef HAS_SPECULAR_GLOSSINESS_MAP
    vec4 sg = sample_slot(u_specular_glossiness_tex, u_specular_glossiness_uvt,
                          u_specular_glossiness_mirror, slot_uv(SPECULAR_GLOSSINESS_UV));
    specular *= sg.rgb;
    glossiness *= sg.a;
#endif
    m.roughness = 1.0 - glossiness;
    m.f0 = specular;
    m.f90 = vec3(1.0);
    m.diffuse_color = m.base_color.rgb * (1.0 - max3(specular));
    m.metallic = 0.0;
#endif
    m.roughness = clamp(m.roughness, 0.04, 1.0);
    m.occlusion = 1.0;
#if defined(OCCLUSION_IN_METALLIC_ROUGHNESS)
    m.occlusion = 1.0 + u_occlusion_strength * (mr.r - 1.0);  // packed by the loader
#elif defined(HAS_OCCLUSION_MAP)
    float ao = sample_slot(u_occlusion_tex, u_occlusion_uvt, u_occlusion_mirror,
                           slot_uv(OCCLUSION_UV)).r;
    m.occlusion = 1.0 + u_occlusion_strength * (ao - 1.0);
#endif
    m.emissive = u_emissive_factor;
#ifdef HAS_EMISSIVE_MAP
    m.emissive *= sample_slot(u_emissive_tex, u_emissive_uvt, u_emissive_mirror,
                              slot_uv(EMISSIVE_UV)).rgb;
#endif
#ifdef MATERIAL_CLEARCOAT
    m.clearcoat = u_clearcoat_factor;
#ifdef HAS_CLEARCOAT_MAP
    m.clearcoat *= sample_slot(u_clearcoat_tex, u_clearcoat_uvt, u_clearcoat_mirror,
                               slot_uv(CLEARCOAT_UV)).r;
#endif
    m.clearcoat_roughness = u_clearcoat_roughness_factor;
#ifdef HAS_CLEARCOAT_ROUGHNESS_MAP
    m.clearcoat_roughness *= sample_slot(u_clearcoat_roughness_tex, u_clearcoat_roughness_uvt,
                                         u_clearcoat_roughness_mirror,
                                         slot_uv(CLEARCOAT_ROUGHNESS_UV)).g;
#endif
    m.clearcoat_roughness = clamp(m.clearcoat_roughness, 0.04, 1.0);
#endif
#ifdef MATERIAL_SHEEN
    m.sheen_color = u_sheen_color_factor;
#ifdef HAS_SHEEN_COLOR_MAP
    m.sheen_color *= sample_slot(u_sheen_color_tex, u_sheen_color_uvt, u_sheen_color_mirror,
                                 slot_uv(SHEEN_COLOR_UV)).rgb;
#endif
    m.sheen_roughness = u_sheen_roughness_factor;
#ifdef HAS_SHEEN_ROUGHNESS_MAP
    m.sheen_roughness *= sample_slot(u_sheen_roughness_tex, u_sheen_roughness_uvt,
                                     u_sheen_roughness_mirror, slot_uv(SHEEN_ROUGHNESS_UV)).a;
#endif
    m.sheen_roughness = clamp(m.sheen_roughness, 0.07, 1.0);
#endif
#ifdef MATERIAL_TRANSMISSION
    m.transmission = u_transmission_factor;
#ifdef HAS_TRANSMISSION_MAP
    m.transmission *= sample_slot(u_transmission_tex, u_transmission_uvt,
                                  u_transmission_mirror, slot_uv(TRANSMISSION_UV)).r;
#endif
    m.thickness = 0.0;
#ifdef MATERIAL_VOLUME
    m.thickness = u_thickness_factor;
#ifdef HAS_THICKNESS_MAP
    m.thickness *= sample_slot(u_thickness_tex, u_thickness_uvt, u_thickness_mirror,
                               slot_uv(THICKNESS_UV)).g;
#endif
#endif
#endif
    return m;
}

vec3 geometric_normal() {
    vec3 n = normalize(v_normal);
    return gl_FrontFacing ? n : -n;
}

#if defined(HAS_NORMAL_MAP) || defined(HAS_CLEARCOAT_NORMAL_MAP)
#define HAS_TANGENT_FRAME
#endif
#ifdef MATERIAL_ANISOTROPY
#define HAS_TANGENT_FRAME
#endif
#ifdef HAS_TANGENT_FRAME
// Tangent frame (t, b, n) about normal ``n``: from the mesh's tangents, or one made from
// the derivatives of position and ``uv`` when it has none.
mat3 tangent_frame(vec3 n, vec2 uv) {
#ifdef HAS_TANGENT
    vec3 t = normalize(v_tangent.xyz - n * dot(n, v_tangent.xyz));
    vec3 b = cross(n, t) * v_tangent.w;
    if (!gl_FrontFacing) b = -b;
#else
    vec3 dp1 = dFdx(v_world), dp2 = dFdy(v_world);
    vec2 duv1 = dFdx(uv), duv2 = dFdy(uv);
    vec3 t = normalize(dp1 * duv2.y - dp2 * duv1.y);
    vec3 b = normalize(cross(n, t));
    t = cross(b, n);
#endif
    return mat3(t, b, n);
}

// Normal ``n`` perturbed by tangent-space normal ``tn``.
vec3 perturb_normal(vec3 n, vec3 tn, vec2 uv) {
    return normalize(tangent_frame(n, uv) * tn);
}
#endif

#ifdef MATERIAL_ANISOTROPY
void apply_anisotropy(inout MaterialInfo m, vec3 n) {
#ifdef HAS_ANISOTROPY_MAP
    vec2 uv = slot_uv(ANISOTROPY_UV);
#else
    vec2 uv = slot_uv(0);
#endif
    vec2 direction = u_anisotropy_rotation;
    m.anisotropy = u_anisotropy_strength;
#ifdef HAS_ANISOTROPY_MAP
    vec3 a = sample_slot(u_anisotropy_tex, u_anisotropy_uvt, u_anisotropy_mirror, uv).rgb;
    vec2 turned = a.rg * 2.0 - 1.0;
    turned = dot(turned, turned) > 1e-8 ? normalize(turned) : vec2(1.0, 0.0);
    direction = mat2(direction.x, direction.y, -direction.y, direction.x) * turned;
    m.anisotropy *= a.b;
#endif
    m.anisotropy = clamp(m.anisotropy, 0.0, 1.0);
    m.anisotropy_t = normalize(tangent_frame(n, uv) * vec3(direction, 0.0));
    m.anisotropy_b = normalize(cross(n, m.anisotropy_t));
}
#endif

// Shading normal: interpolated normal, flipped for back faces, perturbed by the normal map.
vec3 shading_normal() {
    vec3 n = geometric_normal();
#ifdef HAS_NORMAL_MAP
    vec2 uv = slot_uv(NORMAL_UV);
    vec3 tn = sample_slot(u_normal_tex, u_normal_uvt, u_normal_mirror, uv).xyz * 2.0 - 1.0;
    tn.xy *= u_normal_scale;
    n = perturb_normal(n, tn, uv);
#endif
    return n;
}

#ifdef MATERIAL_CLEARCOAT
// The clear coat has its own normal map, or the geometry's normal (not the base's map).
vec3 clearcoat_normal() {
    vec3 n = geometric_normal();
#ifdef HAS_CLEARCOAT_NORMAL_MAP
    vec2 uv = slot_uv(CLEARCOAT_NORMAL_UV);
    vec3 tn = sample_slot(u_clearcoat_normal_tex, u_clearcoat_normal_uvt,
                          u_clearcoat_normal_mirror, uv).xyz * 2.0 - 1.0;
    tn.xy *= u_clearcoat_normal_scale;
    n = perturb_normal(n, tn, uv);
#endif
    return n;
}
#endif
