// Bakes the shadow catcher: for each texel of a square over the ground (u_center ±
// u_extent in x and z) the soft shadow opacity, faded towards the disc's rim. Drawn once
// per pose (like the shadow map), then sampled with one fetch per pixel by ground.frag.

in vec2 v_uv;
uniform vec3 u_center;
uniform float u_extent;
uniform float u_ground_y;
uniform float u_shadow_opacity;
out vec4 f_color;

#include "shadow.glsl"

void main() {
    vec2 local = v_uv * 2.0 - 1.0;
    vec3 world = vec3(u_center.x + local.x * u_extent, u_ground_y, u_center.z + local.y * u_extent);
    float rim = 1.0 - smoothstep(0.6, 1.0, length(local));
    float shadow = (1.0 - shadow_soft(world, 0.002)) * u_shadow_opacity * rim;
    f_color = vec4(shadow, 0.0, 0.0, 1.0);
}
