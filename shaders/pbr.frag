// Fragment stage for meshes. Default: lit, tone-mapped, premultiplied colour into the
// 2× SSAA colour buffer (linear values; the sRGB target encodes them). With REFLECTION: the same, mirrored below the ground and
// faded with depth. With LAYERS: world normal and view depth for datasets.

in vec3 v_world;
in vec3 v_normal;
in float v_view_depth;
#ifdef HAS_TANGENT
in vec4 v_tangent;
#endif
#ifdef HAS_UV0
in vec2 v_uv0;
#endif
#ifdef HAS_UV1
in vec2 v_uv1;
#endif
#ifdef HAS_COLOR0
in vec4 v_color0;
#endif

#include "brdf.glsl"
#include "material_info.glsl"

#ifdef LAYERS
layout(location = 0) out vec4 f_normal;
layout(location = 1) out float f_depth;
#else
#include "ibl.glsl"
#include "punctual.glsl"
#include "tonemap.glsl"

uniform vec3 u_camera_pos;
uniform float u_exposure;
#ifdef REFLECTION
uniform float u_mirror;         // reflection strength
uniform float u_ground_y;
uniform float u_reflect_fade;   // depth below the ground where the reflection is gone
#endif
layout(location = 0) out vec4 f_color;
#endif

float material_alpha(vec4 base_color) {
#if defined(ALPHA_MASK)
    if (base_color.a < u_alpha_cutoff) discard;
    return 1.0;
#elif defined(ALPHA_BLEND)
    return base_color.a;
#else
    return 1.0;
#endif
}

void main() {
    MaterialInfo m = material_info();
    float alpha = material_alpha(m.base_color);
    vec3 n = shading_normal();
#ifdef LAYERS
    f_normal = vec4(n, 1.0);
    f_depth = v_view_depth;
#else
    float reflection = 1.0;
#ifdef REFLECTION
    // Mirrored pass (its own program, so the direct pass keeps early depth testing).
    float height = u_ground_y - v_world.y;  // mirrored geometry lies below the ground
    if (height < 0.0) discard;
    reflection = u_mirror * (1.0 - smoothstep(0.0, u_reflect_fade, height));
    if (reflection <= 0.0) discard;
#endif
#ifdef UNLIT
    vec3 color = m.base_color.rgb;
#else
    vec3 v = normalize(u_camera_pos - v_world);
    vec3 diffuse_color = m.base_color.rgb * (1.0 - m.metallic);
    vec3 f0 = mix(vec3(0.04), m.base_color.rgb, m.metallic);
    vec3 color = ibl_lighting(n, v, diffuse_color, f0, m.roughness, m.occlusion)
               + key_light(n, v, diffuse_color, f0, m.roughness)
               + m.emissive;
#endif
    // Tone-mapped but still linear: the sRGB colour target encodes on write.
    vec3 mapped = clamp(pbr_neutral(color * u_exposure), 0.0, 1.0);
    float a = alpha * reflection;
    f_color = vec4(mapped * a, a);
#endif
}
