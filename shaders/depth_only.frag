// Shadow-map pass: depth only; masked and blended materials cut holes by alpha.

in vec3 v_world;
in vec3 v_normal;
in float v_view_depth;
#ifdef HAS_TANGENT
in vec4 v_tangent;
#endif
#ifdef HAS_UV0
in vec2 v_uv0;
#endif
#ifdef HAS_UV1
in vec2 v_uv1;
#endif
#ifdef HAS_COLOR0
in vec4 v_color0;
#endif

#include "material_info.glsl"

void main() {
#if defined(ALPHA_MASK) || defined(ALPHA_BLEND)
    if (material_base_color().a < u_alpha_cutoff) discard;
#endif
}
