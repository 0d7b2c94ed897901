// The shadow catcher's quad on the plane y = u_ground_y: u_center ± u_half_size in x, z.

in vec2 a_xz;  // -1..1
uniform vec2 u_center;
uniform vec2 u_half_size;
uniform float u_ground_y;
uniform mat4 u_view_proj;
out vec3 v_world;
out vec2 v_local;

void main() {
    v_local = a_xz;
    vec2 xz = u_center + a_xz * u_half_size;
    v_world = vec3(xz.x, u_ground_y, xz.y);
    gl_Position = u_view_proj * vec4(v_world, 1.0);
}
