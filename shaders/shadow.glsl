// The key light's shadow: a depth map from an orthographic light camera, filtered with
// a rotated Poisson disk of hardware-compared (bilinear 2×2) taps for soft edges.

uniform sampler2DShadow u_shadow_map;
uniform mat4 u_light_view_proj;
uniform float u_shadow_softness;  // disk radius in shadow-map texels
uniform float u_shadows_enabled;

const vec2 POISSON[8] = vec2[](
    vec2(-0.613, 0.617), vec2(0.170, -0.040), vec2(-0.299, -0.791), vec2(0.645, 0.493),
    vec2(-0.651, -0.217), vec2(0.421, -0.689), vec2(-0.070, 0.955), vec2(0.964, -0.153));

// 1 = fully lit, 0 = fully in shadow.
float shadow_visibility(vec3 world, float bias) {
    if (u_shadows_enabled < 0.5) return 1.0;
    vec4 p = u_light_view_proj * vec4(world, 1.0);
    vec3 s = p.xyz / p.w * 0.5 + 0.5;
    if (any(lessThan(s.xy, vec2(0.0))) || any(greaterThan(s.xy, vec2(1.0))) || s.z > 1.0) {
        return 1.0;
    }
    vec2 texel = u_shadow_softness / vec2(textureSize(u_shadow_map, 0));
    float lit = 0.0;
    for (int i = 0; i < 8; ++i) {
        lit += texture(u_shadow_map, vec3(s.xy + POISSON[i] * texel, s.z - bias));
    }
    return lit / 8.0;
}
