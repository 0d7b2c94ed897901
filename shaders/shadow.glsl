// The key light's shadow: a depth map from an orthographic light camera.
// shadow_soft: a Poisson disk of 16 hardware-compared (bilinear 2×2) taps — used where it
// is computed once per pose (the ground's shadow texture), so softness costs nothing
// per frame. shadow_visibility: one hardware 2×2 PCF tap, for self-shadowing on the
// model, where every fragment of every frame pays for it and 2× SSAA smooths the edge.

uniform sampler2DShadow u_shadow_map;
uniform mat4 u_light_view_proj;
uniform float u_shadow_softness;  // disk radius in shadow-map texels
uniform float u_shadows_enabled;

const vec2 POISSON[16] = vec2[](
    vec2(-0.613, 0.617), vec2(0.170, -0.040), vec2(-0.299, -0.791), vec2(0.645, 0.493),
    vec2(-0.651, -0.217), vec2(0.421, -0.689), vec2(-0.070, 0.955), vec2(0.964, -0.153),
    vec2(-0.945, 0.232), vec2(0.285, 0.352), vec2(-0.390, 0.180), vec2(0.065, -0.470),
    vec2(0.830, -0.530), vec2(-0.180, 0.510), vec2(0.480, 0.860), vec2(-0.720, -0.640));

vec3 shadow_coord(vec3 world) {
    vec4 p = u_light_view_proj * vec4(world, 1.0);
    return p.xyz / p.w * 0.5 + 0.5;
}

bool outside_shadow_map(vec3 s) {
    return any(lessThan(s.xy, vec2(0.0))) || any(greaterThan(s.xy, vec2(1.0))) || s.z > 1.0;
}

// 1 = fully lit, 0 = fully in shadow.
float shadow_visibility(vec3 world, float bias) {
    if (u_shadows_enabled < 0.5) return 1.0;
    vec3 s = shadow_coord(world);
    if (outside_shadow_map(s)) return 1.0;
    return texture(u_shadow_map, vec3(s.xy, s.z - bias));
}

float shadow_soft(vec3 world, float bias) {
    vec3 s = shadow_coord(world);
    if (outside_shadow_map(s)) return 1.0;
    vec2 texel = u_shadow_softness / vec2(textureSize(u_shadow_map, 0));
    float lit = 0.0;
    for (int i = 0; i < 16; ++i) {
        lit += texture(u_shadow_map, vec3(s.xy + POISSON[i] * texel, s.z - bias));
    }
    return lit / 16.0;
}
