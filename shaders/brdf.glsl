// Cook-Torrance microfacet terms: GGX distribution, height-correlated Smith visibility,
// Schlick Fresnel. Roughness is perceptual (alpha = roughness^2).

const float PI = 3.14159265358979;

float d_ggx(float n_dot_h, float alpha) {
    float a2 = alpha * alpha;
    float f = n_dot_h * n_dot_h * (a2 - 1.0) + 1.0;
    return a2 / (PI * f * f);
}

float v_smith_ggx(float n_dot_l, float n_dot_v, float alpha) {
    float a2 = alpha * alpha;
    float gv = n_dot_l * sqrt(n_dot_v * n_dot_v * (1.0 - a2) + a2);
    float gl = n_dot_v * sqrt(n_dot_l * n_dot_l * (1.0 - a2) + a2);
    float sum = gv + gl;
    return sum > 0.0 ? 0.5 / sum : 0.0;
}

vec3 f_schlick(vec3 f0, float v_dot_h) {
    float x = clamp(1.0 - v_dot_h, 0.0, 1.0);
    float x2 = x * x;
    return f0 + (1.0 - f0) * (x2 * x2 * x);
}

vec3 f_schlick(vec3 f0, vec3 f90, float v_dot_h) {
    float x = clamp(1.0 - v_dot_h, 0.0, 1.0);
    float x2 = x * x;
    return f0 + (f90 - f0) * (x2 * x2 * x);
}

// Anisotropic GGX (KHR_materials_anisotropy): roughness at along t, ab along b.
float d_ggx_anisotropic(float n_dot_h, float t_dot_h, float b_dot_h, float at, float ab) {
    float a2 = at * ab;
    vec3 f = vec3(ab * t_dot_h, at * b_dot_h, a2 * n_dot_h);
    float w2 = a2 / dot(f, f);
    return a2 * w2 * w2 / PI;
}

float v_ggx_anisotropic(float n_dot_l, float n_dot_v, float t_dot_v, float b_dot_v,
                        float t_dot_l, float b_dot_l, float at, float ab) {
    float gv = n_dot_l * length(vec3(at * t_dot_v, ab * b_dot_v, n_dot_v));
    float gl = n_dot_v * length(vec3(at * t_dot_l, ab * b_dot_l, n_dot_l));
    return clamp(0.5 / (gv + gl), 0.0, 1.0);
}

// Sheen (KHR_materials_sheen): the "Charlie" distribution of Estevez & Kulla and
// Neubelt's visibility term.
float d_charlie(float sheen_roughness, float n_dot_h) {
    float alpha = max(sheen_roughness * sheen_roughness, 1e-6);
    float inv_r = 1.0 / alpha;
    float sin2h = max(1.0 - n_dot_h * n_dot_h, 0.0078125);
    return (2.0 + inv_r) * pow(sin2h, inv_r * 0.5) / (2.0 * PI);
}

float v_neubelt(float n_dot_l, float n_dot_v) {
    return clamp(1.0 / (4.0 * (n_dot_l + n_dot_v - n_dot_l * n_dot_v)), 0.0, 1.0);
}

// Hammersley point i of n, for importance sampling in the precompute passes.
vec2 hammersley(uint i, uint n) {
    uint bits = (i << 16u) | (i >> 16u);
    bits = ((bits & 0x55555555u) << 1u) | ((bits & 0xAAAAAAAAu) >> 1u);
    bits = ((bits & 0x33333333u) << 2u) | ((bits & 0xCCCCCCCCu) >> 2u);
    bits = ((bits & 0x0F0F0F0Fu) << 4u) | ((bits & 0xF0F0F0F0u) >> 4u);
    bits = ((bits & 0x00FF00FFu) << 8u) | ((bits & 0xFF00FF00u) >> 8u);
    return vec2(float(i) / float(n), float(bits) * 2.3283064365386963e-10);
}

// GGX half vector around normal n for sample xi.
vec3 importance_sample_ggx(vec2 xi, vec3 n, float alpha) {
    float phi = 2.0 * PI * xi.x;
    float cos_theta = sqrt((1.0 - xi.y) / (1.0 + (alpha * alpha - 1.0) * xi.y));
    float sin_theta = sqrt(1.0 - cos_theta * cos_theta);
    vec3 h = vec3(sin_theta * cos(phi), sin_theta * sin(phi), cos_theta);
    vec3 up = abs(n.z) < 0.999 ? vec3(0.0, 0.0, 1.0) : vec3(1.0, 0.0, 0.0);
    vec3 t = normalize(cross(up, n));
    vec3 b = cross(n, t);
    return normalize(t * h.x + b * h.y + n * h.z);
}
