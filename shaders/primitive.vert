// Vertex stage for every mesh pass (colour, shadow, layers, reflection).
// u_model is the node's world matrix (or the extra root/mirror transform for skinned
// meshes, whose joints are already in world space).

in vec3 a_position;
in vec3 a_normal;
#ifdef HAS_TANGENT
in vec4 a_tangent;
out vec4 v_tangent;
#endif
#ifdef HAS_UV0
in vec2 a_uv0;
out vec2 v_uv0;
#endif
#ifdef HAS_UV1
in vec2 a_uv1;
out vec2 v_uv1;
#endif
#ifdef HAS_COLOR0
in vec4 a_color0;
out vec4 v_color0;
#endif
#ifdef HAS_SKIN
in vec4 a_joints;
in vec4 a_weights;
#endif

uniform mat4 u_model;
uniform mat3 u_normal_matrix;
uniform mat4 u_view;
uniform mat4 u_view_proj;

out vec3 v_world;
out vec3 v_normal;
out float v_view_depth;
invariant gl_Position;  // the depth pre-pass and the colour pass must agree exactly

#include "animation.glsl"

void main() {
    vec3 position = a_position;
    vec3 normal = a_normal;
#ifdef MORPH_TARGETS
    apply_morph(position, normal);
#endif
    mat4 model = u_model;
    mat3 normal_matrix = u_normal_matrix;
#ifdef HAS_SKIN
    mat4 skin = skin_matrix();
    model = u_model * skin;
    normal_matrix = u_normal_matrix * mat3(skin);
#endif
    vec4 world = model * vec4(position, 1.0);
    v_world = world.xyz;
    v_normal = normal_matrix * normal;
#ifdef HAS_TANGENT
    v_tangent = vec4(mat3(model) * a_tangent.xyz, a_tangent.w);
#endif
#ifdef HAS_UV0
    v_uv0 = a_uv0;
#endif
#ifdef HAS_UV1
    v_uv1 = a_uv1;
#endif
#ifdef HAS_COLOR0
    v_color0 = a_color0;
#endif
    v_view_depth = -(u_view * world).z;
    gl_Position = u_view_proj * world;
}
