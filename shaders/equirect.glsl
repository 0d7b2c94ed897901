// Equirectangular maps (the glTF Sample Viewer / three.js / Blender convention, see
// renderer/studio.py): v = 0 looks up (+Y), u = 0.5 looks along +X, u = 0.25 along −Z.

const float EQUIRECT_PI = 3.14159265358979;

vec2 dir_to_equirect(vec3 d) {
    return vec2(atan(d.z, d.x) / (2.0 * EQUIRECT_PI) + 0.5,
                acos(clamp(d.y, -1.0, 1.0)) / EQUIRECT_PI);
}

vec3 equirect_to_dir(vec2 uv) {
    float phi = (uv.x - 0.5) * 2.0 * EQUIRECT_PI;
    float theta = uv.y * EQUIRECT_PI;
    return vec3(sin(theta) * cos(phi), cos(theta), sin(theta) * sin(phi));
}

// A world direction in the frame of an environment turned by angle a about +Y
// (cs = (cos a, sin a)): the inverse turn.
vec3 env_frame(vec3 w, vec2 cs) {
    return vec3(cs.x * w.x - cs.y * w.z, w.y, cs.y * w.x + cs.x * w.z);
}
