// Prefilters the studio environment for one roughness level (GGX lobe, N = V = R),
// writing an equirectangular mip. Filtered importance sampling: each sample reads a
// source mip matched to its solid angle, so 64 samples give a smooth result.

#include "brdf.glsl"

in vec2 v_uv;
uniform sampler2D u_source;
uniform float u_roughness;
uniform float u_source_texels;  // texels in the source's level 0
out vec4 f_color;

const uint SAMPLES = 64u;

vec3 equirect_to_dir(vec2 uv) {
    float phi = (uv.x - 0.5) * 2.0 * PI;
    float theta = uv.y * PI;
    return vec3(sin(theta) * sin(phi), cos(theta), -sin(theta) * cos(phi));
}

vec2 dir_to_uv(vec3 d) {
    return vec2(atan(d.x, -d.z) / (2.0 * PI) + 0.5, acos(clamp(d.y, -1.0, 1.0)) / PI);
}

void main() {
    vec3 n = equirect_to_dir(v_uv);  // texture row t holds polar angle t·pi, as sampled
    float alpha = u_roughness * u_roughness;
    vec3 sum = vec3(0.0);
    float weight = 0.0;
    for (uint i = 0u; i < SAMPLES; ++i) {
        vec3 h = importance_sample_ggx(hammersley(i, SAMPLES), n, alpha);
        vec3 l = reflect(-n, h);
        float n_dot_l = dot(n, l);
        if (n_dot_l <= 0.0) continue;
        float n_dot_h = clamp(dot(n, h), 0.0, 1.0);
        float pdf = d_ggx(n_dot_h, alpha) * 0.25 + 1e-4;
        float sample_solid_angle = 1.0 / (float(SAMPLES) * pdf);
        float texel_solid_angle = 4.0 * PI / u_source_texels;
        float lod = max(0.5 * log2(sample_solid_angle / texel_solid_angle) + 1.0, 0.0);
        sum += textureLod(u_source, dir_to_uv(l), lod).rgb * n_dot_l;
        weight += n_dot_l;
    }
    f_color = vec4(sum / max(weight, 1e-4), 1.0);
}
