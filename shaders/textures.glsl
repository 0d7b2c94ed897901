// Material texture sampling: every slot goes through sample_slot, so its UV set,
// KHR_texture_transform matrix and mirrored wrap are handled the same way. A slot exists
// only when the loader defines HAS_<SLOT>_MAP; <SLOT>_UV picks v_uv0 or v_uv1 and
// <SLOT>_MIRROR (a bvec2 constant) says which axes wrap mirrored. The mirror flags are
// constants, not uniforms, so the compiler drops the branch: llvmpipe runs both sides of
// a branch its lanes might take, and the textureGrad side cost a quarter of a
// DamagedHelmet frame's colour pass. (Plain declarations rather than ## token-pasting
// macros, which not every GLSL compiler takes.)

vec2 mirror_wrap(vec2 uv, bvec2 mirrored) {
    vec2 folded = 1.0 - abs(mod(uv, 2.0) - 1.0);
    return vec2(mirrored.x ? folded.x : uv.x, mirrored.y ? folded.y : uv.y);
}

vec4 sample_slot(sampler2D tex, mat3 transform, bvec2 mirrored, vec2 uv) {
    vec2 t = (transform * vec3(uv, 1.0)).xy;
    if (any(mirrored)) {
        return textureGrad(tex, mirror_wrap(t, mirrored), dFdx(t), dFdy(t));
    }
    return texture(tex, t);
}
