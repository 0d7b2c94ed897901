// Shadow catcher: transparent everywhere except where the key light is blocked, where it
// lays premultiplied black of the shadow's opacity over whatever is behind (background,
// reflection). The opacity comes from the texture ground_shadow.frag baked for this pose.

in vec3 v_world;
in vec2 v_local;
uniform sampler2D u_ground_shadow;
layout(location = 0) out vec4 f_color;

void main() {
    float shadow = texture(u_ground_shadow, v_local * 0.5 + 0.5).r;
    if (shadow <= 0.0) discard;
    f_color = vec4(0.0, 0.0, 0.0, shadow);
}
