// Shadow catcher: transparent everywhere except where the key light is blocked, where it
// lays premultiplied black of the shadow's opacity over whatever is behind (background,
// reflection). It fades out towards the disc's rim so it never ends in a hard edge.

in vec3 v_world;
in vec2 v_local;
uniform float u_shadow_opacity;
layout(location = 0) out vec4 f_color;

#include "shadow.glsl"

void main() {
    float rim = 1.0 - smoothstep(0.6, 1.0, length(v_local));
    if (rim <= 0.0) discard;
    float shadow = (1.0 - shadow_visibility(v_world, 0.002)) * u_shadow_opacity * rim;
    if (shadow <= 0.0) discard;
    f_color = vec4(0.0, 0.0, 0.0, shadow);
}
