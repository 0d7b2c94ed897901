// Image-based lighting from the procedural studio environment: diffuse from 9 spherical-
// harmonic coefficients of irradiance, specular from a prefiltered equirectangular map
// (mip level = roughness) and the split-sum BRDF lookup table.

uniform sampler2D u_env_specular;
uniform sampler2D u_brdf_lut;
uniform vec3 u_env_sh[9];
uniform float u_env_max_lod;
uniform float u_env_intensity;

vec2 dir_to_equirect(vec3 d) {
    float u = atan(d.x, -d.z) / (2.0 * 3.14159265358979) + 0.5;
    float v = acos(clamp(d.y, -1.0, 1.0)) / 3.14159265358979;
    return vec2(u, v);
}

vec3 sh_irradiance(vec3 n) {
    // Coefficients are pre-convolved with the clamped cosine lobe (and divided by pi).
    return max(
        u_env_sh[0]
        + u_env_sh[1] * n.y + u_env_sh[2] * n.z + u_env_sh[3] * n.x
        + u_env_sh[4] * (n.x * n.y) + u_env_sh[5] * (n.y * n.z)
        + u_env_sh[6] * (3.0 * n.z * n.z - 1.0)
        + u_env_sh[7] * (n.x * n.z) + u_env_sh[8] * (n.x * n.x - n.y * n.y),
        vec3(0.0));
}

vec3 ibl_specular(vec3 r, float roughness) {
    return textureLod(u_env_specular, dir_to_equirect(r), roughness * u_env_max_lod).rgb;
}

vec3 ibl_lighting(vec3 n, vec3 v, vec3 diffuse_color, vec3 f0, float roughness, float ao) {
    float n_dot_v = clamp(dot(n, v), 1e-4, 1.0);
    vec2 ab = texture(u_brdf_lut, vec2(n_dot_v, roughness)).rg;
    vec3 specular = ibl_specular(reflect(-v, n), roughness) * (f0 * ab.x + ab.y);
    vec3 diffuse = sh_irradiance(n) * diffuse_color;
    return (diffuse + specular) * ao * u_env_intensity;
}
