// The one shadow-casting key light: a directional light with GGX specular and Lambert
// diffuse, shadowed by shadow.glsl.

#include "shadow.glsl"

uniform vec3 u_light_dir;    // unit vector towards the light
uniform vec3 u_light_color;  // linear radiance

vec3 key_light(vec3 n, vec3 v, vec3 diffuse_color, vec3 f0, float roughness) {
    vec3 l = u_light_dir;
    float n_dot_l = dot(n, l);
    if (n_dot_l <= 0.0) return vec3(0.0);
    vec3 h = normalize(l + v);
    float n_dot_v = clamp(dot(n, v), 1e-4, 1.0);
    float alpha = roughness * roughness;
    vec3 f = f_schlick(f0, clamp(dot(v, h), 0.0, 1.0));
    vec3 specular = f * d_ggx(clamp(dot(n, h), 0.0, 1.0), alpha)
                  * v_smith_ggx(n_dot_l, n_dot_v, alpha);
    vec3 diffuse = (1.0 - f) * diffuse_color / PI;
    float bias = 0.0015 * clamp(sqrt(1.0 - n_dot_l * n_dot_l) / n_dot_l, 0.2, 3.0);  // ∝ tan θ
    return (diffuse + specular) * u_light_color * n_dot_l * shadow_visibility(v_world, bias);
}
