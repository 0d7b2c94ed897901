// Skinning and morph targets, evaluated per vertex.
// Joint matrices live in a float texture (4 texels per joint, one per column) and morph
// deltas in another (position then normal per target), so neither is limited by the
// uniform budget; the CPU only uploads matrices and weights each frame.

#ifdef HAS_SKIN
uniform sampler2D u_joint_tex;

mat4 joint_matrix(int j) {
    return mat4(
        texelFetch(u_joint_tex, ivec2(j * 4 + 0, 0), 0),
        texelFetch(u_joint_tex, ivec2(j * 4 + 1, 0), 0),
        texelFetch(u_joint_tex, ivec2(j * 4 + 2, 0), 0),
        texelFetch(u_joint_tex, ivec2(j * 4 + 3, 0), 0));
}

mat4 skin_matrix() {
    ivec4 j = ivec4(a_joints + 0.5);
    return a_weights.x * joint_matrix(j.x) + a_weights.y * joint_matrix(j.y)
         + a_weights.z * joint_matrix(j.z) + a_weights.w * joint_matrix(j.w);
}
#endif

#ifdef MORPH_TARGETS
const int MORPH_TEX_WIDTH = 4096;
uniform sampler2D u_morph_tex;
uniform float u_morph_weights[MORPH_TARGETS];
uniform int u_morph_vertex_count;

vec3 morph_delta(int target, int kind) {
    int index = (target * 2 + kind) * u_morph_vertex_count + gl_VertexID;
    return texelFetch(u_morph_tex, ivec2(index % MORPH_TEX_WIDTH, index / MORPH_TEX_WIDTH), 0).xyz;
}

void apply_morph(inout vec3 position, inout vec3 normal) {
    for (int t = 0; t < MORPH_TARGETS; ++t) {
        float w = u_morph_weights[t];
        if (w != 0.0) {
            position += w * morph_delta(t, 0);
            normal += w * morph_delta(t, 1);
        }
    }
}
#endif
