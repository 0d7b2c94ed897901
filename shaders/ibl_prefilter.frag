// Prefilters the environment for one roughness level (GGX lobe, N = V = R) into an
// equirectangular mip: value(n) = ∫ L(l) (n·l) D(h) dl / ∫ (n·l) D(h) dl.
// The map arrives split (renderer/ibl.py): its brightest texels (a sun) as a list of
// directions and powers, summed exactly; the smooth rest, for broad lobes, summed over
// every texel of a coarse mip (u_sum_lod >= 0), for narrow ones by filtered importance
// sampling (Křivánek & Colbert 2008: each sample reads the mip whose texel matches its
// share of the lobe, one level coarser). Level 0 (roughness 0) is the whole map
// box-filtered to its size.

#include "brdf.glsl"
#include "equirect.glsl"

in vec2 v_uv;
uniform sampler2D u_source;     // the whole map
uniform sampler2D u_smooth;     // the map without its brightest texels
uniform sampler2D u_bright;     // row 0: direction, row 1: power (radiance × solid angle)
uniform int u_bright_count;
uniform float u_inv_normaliser; // 1 / ∫ (n·l) D(h) dl for this roughness
uniform int u_sum_lod;          // mip of u_smooth to sum texel by texel, or -1
uniform float u_roughness;
uniform float u_source_texels;  // texels in the source's level 0
uniform float u_mirror_lod;     // source mip matching this level's texel size
uniform float u_max_value;      // half-float range: the chain is stored as f16
out vec4 f_color;

void main() {
    vec3 n = equirect_to_dir(v_uv);  // texture row t holds polar angle t·pi, as sampled
    if (u_roughness <= 0.0) {
        f_color = vec4(min(textureLod(u_source, v_uv, u_mirror_lod).rgb, vec3(u_max_value)), 1.0);
        return;
    }
    float alpha = u_roughness * u_roughness;
    float texel_solid_angle = 4.0 * PI / u_source_texels;
    vec3 sum = vec3(0.0);
    float weight = 0.0;
    if (u_sum_lod >= 0) {
        ivec2 size = textureSize(u_smooth, u_sum_lod);
        for (int y = 0; y < size.y; ++y) {
            vec2 uv = vec2(0.0, (float(y) + 0.5) / float(size.y));
            float row_solid_angle = sin(uv.y * PI);  // constant factors cancel
            for (int x = 0; x < size.x; ++x) {
                uv.x = (float(x) + 0.5) / float(size.x);
                vec3 l = equirect_to_dir(uv);
                float n_dot_l = dot(n, l);
                if (n_dot_l <= 0.0) continue;
                float w = n_dot_l * d_ggx(dot(n, normalize(n + l)), alpha) * row_solid_angle;
                sum += texelFetch(u_smooth, ivec2(x, y), u_sum_lod).rgb * w;
                weight += w;
            }
        }
    }
    for (uint i = 0u; i < (u_sum_lod >= 0 ? 0u : SAMPLES); ++i) {
        vec3 h = importance_sample_ggx(hammersley(i, SAMPLES), n, alpha);
        vec3 l = reflect(-n, h);
        float n_dot_l = dot(n, l);
        if (n_dot_l <= 0.0) continue;
        float n_dot_h = clamp(dot(n, h), 0.0, 1.0);
        float pdf = d_ggx(n_dot_h, alpha) * 0.25 + 1e-4;  // over l, with n = v
        float sample_solid_angle = 1.0 / (float(SAMPLES) * pdf);
        float lod = max(0.5 * log2(sample_solid_angle / texel_solid_angle) + 1.0, 0.0);
        sum += textureLod(u_smooth, dir_to_equirect(l), lod).rgb * n_dot_l;
        weight += n_dot_l;
    }
    vec3 color = sum / max(weight, 1e-4);
    for (int i = 0; i < u_bright_count; ++i) {
        vec3 l = texelFetch(u_bright, ivec2(i, 0), 0).xyz;
        float n_dot_l = dot(n, l);
        if (n_dot_l <= 0.0) continue;
        float n_dot_h = dot(n, normalize(n + l));
        color += texelFetch(u_bright, ivec2(i, 1), 0).rgb * (n_dot_l * d_ggx(n_dot_h, alpha))
               * u_inv_normaliser;
    }
    f_color = vec4(min(color, vec3(u_max_value)), 1.0);
}
