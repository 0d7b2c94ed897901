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
#ifdef MATERIAL_IRIDESCENCE
#include "iridescence.glsl"
#endif
#include "tonemap.glsl"

uniform vec3 u_camera_pos;
uniform float u_exposure;
#ifdef MATERIAL_VOLUME
uniform mat4 u_model;  // the volume's thickness is in the mesh's units
#endif
#ifdef MATERIAL_DISPERSION
uniform float u_dispersion;  // 20 / Abbe number
#endif
#ifdef REFLECTION
uniform float u_mirror;         // reflection strength
uniform float u_ground_y;
uniform float u_reflect_fade;   // depth below the ground where the reflection is gone
#endif
layout(location = 0) out vec4 f_color;
#endif

#ifndef LAYERS
#ifdef MATERIAL_TRANSMISSION
// Light coming through the surface from behind it: the environment seen along the ray
// through the material (straight through a thin surface; refracted into a volume, and
// attenuated by Beer-Lambert over the thickness), blurred by the roughness as IOR sets it.
vec3 transmitted_light(vec3 n, vec3 v, MaterialInfo m) {
    float roughness = m.roughness * clamp(m.ior * 2.0 - 2.0, 0.0, 1.0);
    vec3 direction = -v;
    vec3 attenuation = vec3(1.0);
#ifdef MATERIAL_VOLUME
    direction = refract(-v, n, 1.0 / max(m.ior, 1.0));
    if (dot(direction, direction) < 1e-6) direction = -v;
    vec3 scale = vec3(length(u_model[0].xyz), length(u_model[1].xyz), length(u_model[2].xyz));
    float distance = m.thickness * (scale.x + scale.y + scale.z) / 3.0;
    if (u_attenuation_distance > 0.0) {
        attenuation = pow(u_attenuation_color, vec3(distance / u_attenuation_distance));
    }
#ifdef MATERIAL_DISPERSION
    // Abbe-number dispersion: red and blue refract at IORs spread about the green one.
    float spread = (m.ior - 1.0) * 0.025 * u_dispersion;
    vec3 seen;
    for (int c = 0; c < 3; ++c) {
        float ior = max(m.ior + (float(c) - 1.0) * spread, 1.0);
        vec3 d = refract(-v, n, 1.0 / ior);
        if (dot(d, d) < 1e-6) d = -v;
        seen[c] = ibl_specular(d, roughness)[c];
    }
    return seen * attenuation * m.base_color.rgb;
#endif
#endif
    return ibl_specular(direction, roughness) * attenuation * m.base_color.rgb;
}
#endif

// Image-based light reflected by the base material (the coat is layered on by the caller).
vec3 environment_response(vec3 n, vec3 v, MaterialInfo m) {
#if defined(MATERIAL_SPECULAR) || defined(MATERIAL_TRANSMISSION) || defined(MATERIAL_SHEEN)
#define EXTENDED_ENVIRONMENT
#endif
#ifdef MATERIAL_ANISOTROPY
#define EXTENDED_ENVIRONMENT
#endif
#ifdef MATERIAL_IRIDESCENCE
#define EXTENDED_ENVIRONMENT
#endif
#ifdef EXTENDED_ENVIRONMENT
    float n_dot_v = clamp(dot(n, v), 1e-4, 1.0);
    vec2 ab = texture(u_brdf_lut, vec2(n_dot_v, m.roughness)).rg;
    // As ibl_lighting (multiple-scattering compensation), with the F90 of the extensions.
    vec3 fss_ess = m.f0 * ab.x + m.f90 * ab.y;
#ifdef MATERIAL_IRIDESCENCE
    fss_ess = mix(fss_ess, m.iridescence_fresnel * (ab.x + ab.y), m.iridescence);
#endif
    float ems = 1.0 - (ab.x + ab.y);
    vec3 f_avg = m.f0 + (m.f90 - m.f0) / 21.0;
    vec3 fms_ems = ems * fss_ess * f_avg / (1.0 - f_avg * ems);
    vec3 k_d = m.diffuse_color * max(1.0 - fss_ess - fms_ems, 0.0);
    vec3 irradiance = env_irradiance(n);
    vec3 diffuse = k_d * irradiance;
#ifdef MATERIAL_TRANSMISSION
    vec3 through = transmitted_light(n, v, m) * max(1.0 - fss_ess - fms_ems, 0.0)
                 * (1.0 - m.metallic);
    diffuse = mix(diffuse, through, m.transmission);
#endif
    vec3 reflected = reflect(-v, n);
#ifdef MATERIAL_ANISOTROPY
    // Reflect about a normal bent towards the stretch direction, the way the stretched
    // lobe gathers the environment (Khronos sample renderer's approximation).
    vec3 across = cross(m.anisotropy_b, v);
    vec3 anisotropic_n = cross(across, m.anisotropy_b);
    float bend = 1.0 - m.anisotropy * (1.0 - m.roughness);
    float bend4 = bend * bend * bend * bend;
    reflected = reflect(-v, normalize(mix(anisotropic_n, n, bend4)));
#endif
    vec3 color = ibl_specular(reflected, m.roughness) * fss_ess + fms_ems * irradiance
               + diffuse;
#ifdef MATERIAL_SHEEN
    // The broad sheen lobe lit by the irradiance (exact in a uniform environment).
    float albedo = sheen_albedo(n_dot_v, m.sheen_roughness);
    color = color * (1.0 - max3(m.sheen_color) * albedo)
          + m.sheen_color * albedo * irradiance;
#endif
    return color * m.occlusion * u_env_intensity;
#else
    return ibl_lighting(n, v, m.diffuse_color, m.f0, m.roughness, m.occlusion);
#endif
}

// Everything the surface sends towards the eye: environment, key light, the file's
// lights, the clear coat over them, and emission (seen through the coat).
vec3 surface_color(vec3 n, vec3 v, MaterialInfo m) {
    vec3 color = environment_response(n, v, m);
    vec3 key = key_light_radiance(n);
    color += light_response(n, v, u_light_dir, key, m);
#ifdef MATERIAL_CLEARCOAT
    vec3 nc = clearcoat_normal();
    vec3 coat = ibl_specular(reflect(-v, nc), m.clearcoat_roughness) * m.occlusion
              * u_env_intensity;
    coat += clearcoat_response(nc, v, u_light_dir, key_light_radiance(nc),
                               m.clearcoat_roughness);
#endif
#ifdef LIGHT_COUNT
    for (int i = 0; i < LIGHT_COUNT; ++i) {
        vec3 l, radiance;
        scene_light(i, v_world, l, radiance);
        color += light_response(n, v, l, radiance, m);
#ifdef MATERIAL_CLEARCOAT
        coat += clearcoat_response(nc, v, l, radiance, m.clearcoat_roughness);
#endif
    }
#endif
    vec3 emissive = m.emissive;
#ifdef MATERIAL_CLEARCOAT
    float coat_weight = m.clearcoat * f_schlick(vec3(0.04), clamp(dot(nc, v), 0.0, 1.0)).x;
    color = mix(color, coat, coat_weight);
    emissive *= 1.0 - coat_weight;
#endif
    return color + emissive;
}
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
#ifdef MATERIAL_ANISOTROPY
    apply_anisotropy(m, n);
#endif
#if defined(MATERIAL_IRIDESCENCE) && !defined(LAYERS)
    apply_iridescence(m, n, normalize(u_camera_pos - v_world));
#endif
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
    vec3 color = surface_color(n, normalize(u_camera_pos - v_world), m);
#endif
    // Tone-mapped but still linear: the sRGB colour target encodes on write.
    vec3 mapped = tone_map(color * u_exposure);  // the job's tone mapping, clamped
    float a = alpha * reflection;
    f_color = vec4(mapped * a, a);
#endif
}
