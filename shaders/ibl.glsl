// Image-based lighting from the job's environment map: diffuse from an irradiance cube
// map, specular from a GGX-prefiltered equirectangular chain
// (mip level = roughness) and the split-sum BRDF table, with the multiple-scattering
// energy compensation of Fdez-Agüera (2019): a white surface in a uniform environment
// reflects exactly that environment, at every roughness, metal or dielectric.
// env_irradiance and ibl_specular return the map's own values: callers scale them by
// u_env_intensity (ibl_lighting does).

#include "equirect.glsl"

uniform sampler2D u_env_specular;
uniform sampler2D u_brdf_lut;
uniform samplerCube u_env_irradiance;
uniform float u_env_max_lod;
uniform float u_env_intensity;
uniform vec2 u_env_rotation;  // (cos, sin) of the environment's turn about +Y

// Irradiance / pi arriving at a surface with world normal n (= the radiance a white
// Lambertian surface reflects).
vec3 env_irradiance(vec3 n) {
    return texture(u_env_irradiance, env_frame(n, u_env_rotation)).rgb;
}

// Radiance of the environment around world direction r, GGX-filtered for roughness.
vec3 ibl_specular(vec3 r, float roughness) {
    vec2 uv = dir_to_equirect(env_frame(r, u_env_rotation));
    return textureLod(u_env_specular, uv, roughness * u_env_max_lod).rgb;
}

vec3 ibl_lighting(vec3 n, vec3 v, vec3 diffuse_color, vec3 f0, float roughness, float ao) {
    float n_dot_v = clamp(dot(n, v), 1e-4, 1.0);
    vec2 ab = texture(u_brdf_lut, vec2(n_dot_v, roughness)).rg;
    vec3 fss_ess = f0 * ab.x + ab.y;                      // single scattering
    float ems = 1.0 - (ab.x + ab.y);                      // energy it misses
    vec3 f_avg = f0 + (1.0 - f0) / 21.0;
    vec3 fms_ems = ems * fss_ess * f_avg / (1.0 - f_avg * ems);  // multiple scattering
    vec3 k_d = diffuse_color * max(1.0 - fss_ess - fms_ems, 0.0);
    vec3 specular = ibl_specular(reflect(-v, n), roughness) * fss_ess;
    return (specular + (fms_ems + k_d) * env_irradiance(n)) * ao * u_env_intensity;
}
