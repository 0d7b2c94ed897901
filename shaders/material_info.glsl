// Material inputs of the metallic-roughness model, gathered from factors, textures and
// vertex colours into one struct that the lighting code consumes.

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
uniform vec2 u_base_color_mirror;
#endif
#ifdef HAS_METALLIC_ROUGHNESS_MAP
uniform sampler2D u_metallic_roughness_tex;
uniform mat3 u_metallic_roughness_uvt;
uniform vec2 u_metallic_roughness_mirror;
#endif
#ifdef HAS_NORMAL_MAP
uniform sampler2D u_normal_tex;
uniform mat3 u_normal_uvt;
uniform vec2 u_normal_mirror;
#endif
#ifdef HAS_OCCLUSION_MAP
uniform sampler2D u_occlusion_tex;
uniform mat3 u_occlusion_uvt;
uniform vec2 u_occlusion_mirror;
#endif
#ifdef HAS_EMISSIVE_MAP
uniform sampler2D u_emissive_tex;
uniform mat3 u_emissive_uvt;
uniform vec2 u_emissive_mirror;
#endif

struct MaterialInfo {
    vec4 base_color;   // linear, straight alpha
    float metallic;
    float roughness;   // perceptual
    float occlusion;
    vec3 emissive;
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

MaterialInfo material_info() {
    MaterialInfo m;
    m.base_color = material_base_color();
    m.metallic = u_metallic_factor;
    m.roughness = u_roughness_factor;
#ifdef HAS_METALLIC_ROUGHNESS_MAP
    vec4 mr = sample_slot(u_metallic_roughness_tex, u_metallic_roughness_uvt,
                          u_metallic_roughness_mirror, slot_uv(METALLIC_ROUGHNESS_UV));
#ifdef SPECULAR_GLOSSINESS
    m.roughness = 1.0 - (1.0 - u_roughness_factor) * mr.a;
#else
    m.metallic *= mr.b;
    m.roughness *= mr.g;
#endif
#endif
    m.metallic = clamp(m.metallic, 0.0, 1.0);
    m.roughness = clamp(m.roughness, 0.04, 1.0);
    m.occlusion = 1.0;
#ifdef HAS_OCCLUSION_MAP
    float ao = sample_slot(u_occlusion_tex, u_occlusion_uvt, u_occlusion_mirror,
                           slot_uv(OCCLUSION_UV)).r;
    m.occlusion = 1.0 + u_occlusion_strength * (ao - 1.0);
#endif
    m.emissive = u_emissive_factor;
#ifdef HAS_EMISSIVE_MAP
    m.emissive *= sample_slot(u_emissive_tex, u_emissive_uvt, u_emissive_mirror,
                              slot_uv(EMISSIVE_UV)).rgb;
#endif
    return m;
}

// Shading normal: interpolated normal, flipped for back faces, perturbed by the normal
// map through the tangent frame (a derivative-based frame when the mesh has no tangents).
vec3 shading_normal() {
    vec3 n = normalize(v_normal);
    if (!gl_FrontFacing) n = -n;
#ifdef HAS_NORMAL_MAP
    vec3 tn = sample_slot(u_normal_tex, u_normal_uvt, u_normal_mirror,
                          slot_uv(NORMAL_UV)).xyz * 2.0 - 1.0;
    tn.xy *= u_normal_scale;
#ifdef HAS_TANGENT
    vec3 t = normalize(v_tangent.xyz - n * dot(n, v_tangent.xyz));
    vec3 b = cross(n, t) * v_tangent.w;
    if (!gl_FrontFacing) b = -b;
#else
    vec2 uv = slot_uv(NORMAL_UV);
    vec3 dp1 = dFdx(v_world), dp2 = dFdy(v_world);
    vec2 duv1 = dFdx(uv), duv2 = dFdy(uv);
    vec3 t = normalize(dp1 * duv2.y - dp2 * duv1.y);
    vec3 b = normalize(cross(n, t));
    t = cross(b, n);
#endif
    n = normalize(mat3(t, b, n) * tn);
#endif
    return n;
}
