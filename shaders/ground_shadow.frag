// Bakes the shadow catcher: for each texel of the ground rectangle (u_center ±
// u_half_size in x and z, which bounds every shadow the model can cast) the soft shadow
// opacity, faded over the outermost 10 % as a safety edge. Drawn once per pose (like the
// shadow map), then sampled with one fetch per pixel by ground.frag.

in vec2 v_uv;
uniform vec2 u_center;
uniform vec2 u_half_size;
uniform float u_ground_y;
uniform float u_shadow_opacity;
out vec4 f_color;

#include "shadow.glsl"

void main() {
    vec2 local = v_uv * 2.0 - 1.0;
    vec2 xz = u_center + local * u_half_size;
    vec3 world = vec3(xz.x, u_ground_y, xz.y);
    vec2 edge = 1.0 - smoothstep(0.9, 1.0, abs(local));
    float rim = edge.x * edge.y;
    float shadow = (1.0 - shadow_soft(world, 0.002)) * u_shadow_opacity * rim;
    f_color = vec4(shadow, 0.0, 0.0, 1.0);
}
