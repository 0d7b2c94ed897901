// Split-sum BRDF table: x = n·v, y = roughness → (scale, bias) applied to F0.

#include "brdf.glsl"

in vec2 v_uv;
out vec4 f_color;

const uint SAMPLES = 1024u;

void main() {
    float n_dot_v = max(v_uv.x, 1e-3);
    float roughness = max(v_uv.y, 1e-3);
    float alpha = roughness * roughness;
    vec3 v = vec3(sqrt(1.0 - n_dot_v * n_dot_v), 0.0, n_dot_v);
    vec3 n = vec3(0.0, 0.0, 1.0);
    float a = 0.0;
    float b = 0.0;
    for (uint i = 0u; i < SAMPLES; ++i) {
        vec3 h = importance_sample_ggx(hammersley(i, SAMPLES), n, alpha);
        vec3 l = reflect(-v, h);
        float n_dot_l = clamp(l.z, 0.0, 1.0);
        float n_dot_h = clamp(h.z, 0.0, 1.0);
        float v_dot_h = clamp(dot(v, h), 0.0, 1.0);
        if (n_dot_l > 0.0) {
            float vis = v_smith_ggx(n_dot_l, n_dot_v, alpha) * 4.0 * n_dot_l * v_dot_h / n_dot_h;
            float fc = pow(1.0 - v_dot_h, 5.0);
            a += (1.0 - fc) * vis;
            b += fc * vis;
        }
    }
    f_color = vec4(a / float(SAMPLES), b / float(SAMPLES), 0.0, 1.0);
}
