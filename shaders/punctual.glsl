// Light from single directions: the shadow-casting key light (a directional light,
// shadowed by shadow.glsl) and, with LIGHT_COUNT, the file's KHR_lights_punctual lights.
// light_response is the material's BRDF for one light: GGX specular (with the material's
// F0/F90), Lambert diffuse, and the sheen lobe where compiled in; the clear coat's lobe
// is clearcoat_response, layered over it by the caller.

#include "shadow.glsl"

uniform vec3 u_light_dir;    // unit vector towards the key light
uniform vec3 u_light_color;  // linear radiance

#ifdef LIGHT_COUNT
uniform vec3 u_lights_position[LIGHT_COUNT];
uniform vec3 u_lights_direction[LIGHT_COUNT];  // where the light shines (world space)
uniform vec3 u_lights_radiance[LIGHT_COUNT];   // colour × intensity
uniform vec4 u_lights_params[LIGHT_COUNT];     // type (0 directional, 1 point, 2 spot),
                                               // range (0 = infinite), cone scale, offset
#endif

#ifdef MATERIAL_SHEEN
uniform sampler2D u_sheen_lut;  // directional albedo of the sheen lobe at (cos θ, roughness)

float sheen_albedo(float cos_theta, float roughness) {
    return texture(u_sheen_lut, vec2(cos_theta, roughness)).r;
}
#endif

vec3 light_response(vec3 n, vec3 v, vec3 l, vec3 radiance, MaterialInfo m) {
    float n_dot_l = dot(n, l);
    if (n_dot_l <= 0.0) return vec3(0.0);
    vec3 h = normalize(l + v);
    float n_dot_v = clamp(dot(n, v), 1e-4, 1.0);
    float n_dot_h = clamp(dot(n, h), 0.0, 1.0);
    float alpha = m.roughness * m.roughness;
    vec3 f = f_schlick(m.f0, m.f90, clamp(dot(v, h), 0.0, 1.0));
#ifdef MATERIAL_IRIDESCENCE
    f = mix(f, m.iridescence_fresnel, m.iridescence);
#endif
#ifdef MATERIAL_ANISOTROPY
    vec3 t = m.anisotropy_t, b = m.anisotropy_b;
    float at = mix(alpha, 1.0, m.anisotropy * m.anisotropy);
    vec3 specular = f * d_ggx_anisotropic(n_dot_h, dot(t, h), dot(b, h), at, alpha)
                  * v_ggx_anisotropic(n_dot_l, n_dot_v, dot(t, v), dot(b, v), dot(t, l),
                                      dot(b, l), at, alpha);
#else
    vec3 specular = f * d_ggx(n_dot_h, alpha) * v_smith_ggx(n_dot_l, n_dot_v, alpha);
#endif
    vec3 diffuse = (1.0 - f) * m.diffuse_color / PI;
#ifdef MATERIAL_TRANSMISSION
    diffuse *= 1.0 - m.transmission;  // that share of the light goes through instead
#endif
    vec3 color = diffuse + specular;
#ifdef MATERIAL_SHEEN
    float sheen_max = max3(m.sheen_color);
    float scaling = min(1.0 - sheen_max * sheen_albedo(n_dot_v, m.sheen_roughness),
                        1.0 - sheen_max * sheen_albedo(n_dot_l, m.sheen_roughness));
    color = color * scaling + m.sheen_color * d_charlie(m.sheen_roughness, n_dot_h)
                                            * v_neubelt(n_dot_l, n_dot_v);
#endif
    return color * radiance * n_dot_l;
}

#ifdef MATERIAL_CLEARCOAT
// The coat's specular lobe (IOR 1.5); its Fresnel weight is applied by the caller.
vec3 clearcoat_response(vec3 n, vec3 v, vec3 l, vec3 radiance, float roughness) {
    float n_dot_l = dot(n, l);
    if (n_dot_l <= 0.0) return vec3(0.0);
    vec3 h = normalize(l + v);
    float alpha = roughness * roughness;
    float n_dot_v = clamp(dot(n, v), 1e-4, 1.0);
    return radiance * n_dot_l * d_ggx(clamp(dot(n, h), 0.0, 1.0), alpha)
         * v_smith_ggx(n_dot_l, n_dot_v, alpha);
}
#endif

// The key light's radiance at this fragment, shadowed (zero where it cannot reach n).
vec3 key_light_radiance(vec3 n) {
    float n_dot_l = dot(n, u_light_dir);
    if (n_dot_l <= 0.0) return vec3(0.0);
    float bias = 0.0015 * clamp(sqrt(1.0 - n_dot_l * n_dot_l) / n_dot_l, 0.2, 3.0);  // ∝ tan θ
    return u_light_color * shadow_visibility(v_world, bias);
}

#ifdef LIGHT_COUNT
// Direction towards light i and the radiance it brings here, per KHR_lights_punctual:
// directional lights in lux, point and spot lights in candela (inverse-square falloff,
// smoothly cut off at ``range``), spot cones blended between inner and outer angle.
void scene_light(int i, vec3 position, out vec3 l, out vec3 radiance) {
    vec4 p = u_lights_params[i];
    radiance = u_lights_radiance[i];
    if (p.x < 0.5) {
        l = -u_lights_direction[i];
        return;
    }
    vec3 to_light = u_lights_position[i] - position;
    float d2 = max(dot(to_light, to_light), 1e-8);
    l = to_light * inversesqrt(d2);
    float falloff = 1.0 / d2;
    if (p.y > 0.0) {
        float ratio = sqrt(d2) / p.y;
        falloff *= clamp(1.0 - ratio * ratio * ratio * ratio, 0.0, 1.0);
    }
    if (p.x > 1.5) {
        float cone = clamp(dot(u_lights_direction[i], -l) * p.z + p.w, 0.0, 1.0);
        falloff *= cone * cone;
    }
    radiance *= falloff;
}
#endif
