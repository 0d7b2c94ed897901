// The ground disc under the model: a quad on the plane y = u_ground_y.

in vec2 a_xz;  // -1..1
uniform vec3 u_center;
uniform float u_extent;
uniform float u_ground_y;
uniform mat4 u_view_proj;
out vec3 v_world;
out vec2 v_local;

void main() {
    v_local = a_xz;
    v_world = vec3(u_center.x + a_xz.x * u_extent, u_ground_y, u_center.z + a_xz.y * u_extent);
    gl_Position = u_view_proj * vec4(v_world, 1.0);
}
